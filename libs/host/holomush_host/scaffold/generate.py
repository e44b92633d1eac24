"""`new_plugin`: write a working plugin directory, all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import get_args

from holomush_host.manifest.errors import ManifestError, go_quote
from holomush_host.manifest.parse import parse_manifest
from holomush_host.manifest.vocabulary import SERVICE_NAME_PATTERN
from holomush_host.policy.errors import PolicyInstallError
from holomush_host.policy.installation import prepare_plugin_policies
from holomush_host.scaffold.naming import ScaffoldError, plugin_names
from holomush_host.scaffold.pants_layout import locate_in_pants_repo
from holomush_host.scaffold.provided_services import ProvidedService, provided_service
from holomush_host.scaffold.render import PluginSpec, Storage, launcher_path, render_plugin

__all__ = ["new_plugin"]

# Generated code exists only for the protos of this repository; other names are never
# imported (an arbitrary module name could run arbitrary code on import).
_LOOKUP_PREFIX = "holomush."


def new_plugin(
    name: str,
    dest_dir: str | os.PathLike[str],
    *,
    storage: Storage = "none",
    provides: Sequence[str] = (),
) -> Path:
    """Write plugin ``name`` into ``dest_dir/<package>`` and return that directory.

    The directory holds plugin.yaml, a Pants BUILD (PEX + bundle archive), the package
    (``main.py``, the plugin object with one example command named like the plugin, its
    unit tests) and, with ``storage="postgres"``, a store and its first migration. Raises
    `ScaffoldError`, having written nothing, for a bad name, storage or service, or when
    the directory already exists.
    """
    names = plugin_names(name)
    if storage not in get_args(Storage):
        raise ScaffoldError(f"unknown storage {storage!r}: use 'none' or 'postgres'")
    services = _provided_services(provides)
    destination = Path(dest_dir)
    plugin_dir = destination / names.package
    if plugin_dir.exists() or plugin_dir.is_symlink():
        raise ScaffoldError(
            f"{plugin_dir} already exists; remove it or choose another name or directory"
        )
    if destination.exists() and not destination.is_dir():
        raise ScaffoldError(f"{destination} is not a directory")
    location = locate_in_pants_repo(plugin_dir)
    files = render_plugin(PluginSpec(names, storage, services, location.build_path))
    _check_manifest(files[PurePosixPath("plugin.yaml")])
    _write_tree(plugin_dir, files, executable=launcher_path(names.plugin))
    return plugin_dir


def _provided_services(provides: Sequence[str]) -> tuple[ProvidedService, ...]:
    if isinstance(provides, str):
        raise ScaffoldError("provides must be a list of service names, not one string")
    seen: set[str] = set()
    for service in provides:
        if SERVICE_NAME_PATTERN.fullmatch(service) is None or "." not in service:
            raise ScaffoldError(
                f"invalid service name {go_quote(service)}: use a full protobuf service "
                "name such as holomush.scene.v1.SceneService"
            )
        if service in seen:
            raise ScaffoldError(f"service {go_quote(service)} is given twice")
        seen.add(service)
    return tuple(
        provided_service(service)
        if service.startswith(_LOOKUP_PREFIX)
        else ProvidedService(service, service.rpartition(".")[2], None)
        for service in provides
    )


def _check_manifest(text: str) -> None:
    """The generated manifest must load in this host exactly as written."""
    try:
        manifest = parse_manifest(text, source_name="plugin.yaml")
        prepare_plugin_policies(manifest)
    except (ManifestError, PolicyInstallError) as exc:
        raise ScaffoldError(f"the generated manifest would not load: {exc}") from None


def _write_tree(
    plugin_dir: Path, files: Mapping[PurePosixPath, str], executable: PurePosixPath
) -> None:
    """Write into a hidden staging directory, then rename it into place: a failure leaves
    no half-written plugin behind."""
    try:
        plugin_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{plugin_dir.name}-", dir=plugin_dir.parent))
    except OSError as exc:
        raise ScaffoldError(f"cannot create {plugin_dir}: {exc.strerror or exc}") from None
    try:
        for relative, text in files.items():
            path = staging.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if relative == executable:
                path.chmod(0o755)
        staging.chmod(0o755)  # mkdtemp makes it private
        os.rename(staging, plugin_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScaffoldError(f"cannot write {plugin_dir}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
