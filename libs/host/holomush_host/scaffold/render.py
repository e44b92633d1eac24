"""Render a new plugin's files from the templates shipped in this package.

Templates are `string.Template` files under ``templates/`` (see `templating`). The parts
that vary with the options (which services, which storage) are rendered here and
substituted in; ``services.py`` comes from `servicer_code`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from holomush_host.scaffold.naming import PluginNames
from holomush_host.scaffold.provided_services import ProvidedService
from holomush_host.scaffold.servicer_code import grpc_import, services_module
from holomush_host.scaffold.templating import (
    LAUNCHER,
    import_block,
    imported_module,
    read_template,
    render_template,
)

__all__ = ["PluginSpec", "Storage", "launcher_path", "render_plugin"]


def launcher_path(plugin: str) -> PurePosixPath:
    """Where a new plugin keeps its bundle launcher: named like the manifest's executable."""
    return PurePosixPath("bundle") / plugin


Storage = Literal["none", "postgres"]

_SDK_MODULE = "holomush_sdk"


@dataclass(frozen=True)
class PluginSpec:
    names: PluginNames
    storage: Storage
    provides: tuple[ProvidedService, ...]
    build_path: str
    """The plugin directory relative to the Pants build root, e.g. ``plugins/hello_world``."""

    @property
    def serves_services(self) -> bool:
        """True when the plugin needs `serve_with_services` (a provider with Init)."""
        return self.storage == "postgres" or bool(self.provides)


def render_plugin(spec: PluginSpec) -> dict[PurePosixPath, str]:
    """Every file of the plugin directory: relative path → text."""
    names = spec.names
    values = {
        "name": names.plugin,
        "package": names.package,
        "class_name": names.class_name,
        "command": names.command,
        "error_code_prefix": names.error_code_prefix,
        "build_path": spec.build_path,
        "manifest_services": _manifest_services(spec),
        **_plugin_service_parts(spec),
        "main_imports": import_block(
            f"from {names.package}.plugin import {names.class_name}",
            "from holomush_sdk import ServeConfig, serve_with_services"
            if spec.serves_services
            else "from holomush_sdk import ServeConfig, serve",
        ),
        "test_imports": import_block(
            f"from {names.package}.plugin import COMMAND, {names.class_name}",
            "from holomush_sdk import CommandRequest, CommandStatus",
        ),
        **_readme_parts(spec),
    }
    pkg = PurePosixPath(names.package)
    postgres = spec.storage == "postgres"
    files: dict[PurePosixPath, str] = {}

    def add(path: PurePosixPath, template: str) -> None:
        files[path] = render_template(template, values)

    add(PurePosixPath("plugin.yaml"), "plugin/plugin.yaml.tmpl")
    add(PurePosixPath("BUILD"), "plugin/pants-build.tmpl")
    files[launcher_path(names.plugin)] = read_template(LAUNCHER)
    add(PurePosixPath("README.md"), "plugin/README.md.tmpl")
    add(pkg / "__init__.py", "package/__init__.py.tmpl")
    add(
        pkg / "BUILD",
        "package/pants-build-postgres.tmpl" if postgres else "package/pants-build.tmpl",
    )
    add(
        pkg / "main.py",
        "package/main_services.py.tmpl" if spec.serves_services else "package/main_serve.py.tmpl",
    )
    if postgres:
        plugin_template = "package/plugin_postgres.py.tmpl"
    elif spec.provides:
        plugin_template = "package/plugin_provider.py.tmpl"
    else:
        plugin_template = "package/plugin_basic.py.tmpl"
    add(pkg / "plugin.py", plugin_template)
    if _known(spec.provides):
        files[pkg / "services.py"] = services_module(spec.provides)
    if postgres:
        add(pkg / "store.py", "package/store.py.tmpl")
        migrations = pkg / "migrations"
        add(migrations / "__init__.py", "migrations/__init__.py.tmpl")
        add(migrations / "BUILD", "migrations/pants-build.tmpl")
        for direction in ("up", "down"):
            name = f"000001_greetings.{direction}.sql"
            add(migrations / name, f"migrations/{name}.tmpl")
    tests = pkg / "tests"
    add(tests / "__init__.py", "tests/__init__.py.tmpl")
    add(tests / "BUILD", "tests/pants-build.tmpl")
    add(
        tests / "test_plugin.py",
        "tests/test_plugin_postgres.py.tmpl" if postgres else "tests/test_plugin_basic.py.tmpl",
    )
    return files


def _known(services: Iterable[ProvidedService]) -> list[ProvidedService]:
    return [service for service in services if service.grpc_module is not None]


def _manifest_services(spec: PluginSpec) -> str:
    lines: list[str] = []
    if spec.provides:
        lines.append("provides:")
        lines.extend(f"  - {service.full_name}" for service in spec.provides)
    if spec.storage == "postgres":
        lines.append("storage: postgres")
    return "".join(line + "\n" for line in lines)


def _plugin_service_parts(spec: PluginSpec) -> dict[str, str]:
    """Imports, servicer fields and registrations of the provided services."""
    known = _known(spec.provides)
    package = spec.names.package
    imports = [grpc_import(service) for service in known]
    if known:
        classes = ", ".join(sorted(service.short_name for service in known))
        imports.append(f"from {package}.services import {classes}")
    if spec.storage == "postgres":
        imports.append(f"from {package}.store import GreetingStore, PgGreetingStore")
    # One first-party block in module order, around the templates' holomush_sdk import.
    before = [line for line in imports if imported_module(line) < _SDK_MODULE]
    after = [line for line in imports if imported_module(line) > _SDK_MODULE]
    fields = "".join(
        f"        self.{service.attribute} = {service.short_name}()\n" for service in known
    )
    registrations: list[str] = []
    if not known:
        registrations.append(
            '        """Register a servicer for each service in plugin.yaml provides:."""'
            if spec.provides
            else '        """This plugin provides no gRPC services (plugin.yaml provides:)."""'
        )
    registrations.extend(
        f"        {service.grpc_module_alias}.add_{service.short_name}Servicer_to_server("
        f"self.{service.attribute}, registrar)"
        for service in known
    )
    registrations.extend(
        f"        # TODO: generate Python code from {service.full_name}'s proto, then\n"
        f"        # register its servicer here (add_{service.short_name}Servicer_to_server)."
        for service in spec.provides
        if service.grpc_module is None
    )
    return {
        "imports_before_sdk": import_block(*before),
        "imports_after_sdk": import_block(*after),
        "service_fields": fields,
        "provider_init": f"    def __init__(self) -> None:\n{fields}\n" if fields else "",
        "service_registrations": "\n".join(registrations) + "\n",
    }


def _readme_parts(spec: PluginSpec) -> dict[str, str]:
    pkg = spec.names.package
    files: list[str] = []
    if _known(spec.provides):
        files.append(f"| `{pkg}/services.py` | the gRPC servicers of `provides:` |")
    if spec.storage == "postgres":
        files.append(f"| `{pkg}/store.py` | the PostgreSQL store (and its narrow interface) |")
        files.append(f"| `{pkg}/migrations/` | SQL migrations, applied at Init |")
    return {
        "storage_readme": " and counts greetings in PostgreSQL"
        if spec.storage == "postgres"
        else "",
        "provider_readme": ", provided services" if spec.provides else "",
        "files_readme": "".join(line + "\n" for line in files),
    }
