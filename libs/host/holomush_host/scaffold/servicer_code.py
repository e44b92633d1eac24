"""Source code of ``services.py``: a servicer per provided service, each RPC a stub.

Every unary RPC gets an ``async def`` with the request and response types of the
generated protobuf module, answering UNIMPLEMENTED until the author writes it, so the
plugin serves the service (and type-checks) from the first run. Lines are laid out the
way ruff format would, so the generated file is clean as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from holomush_host.scaffold.provided_services import ProvidedService, RpcMethod
from holomush_host.scaffold.templating import import_block, render_template

__all__ = ["grpc_import", "services_module"]

_LINE_LENGTH = 100  # the repo's ruff line-length


def grpc_import(service: ProvidedService) -> str:
    """``from holomush.scene.v1 import scene_pb2_grpc``."""
    package = (service.grpc_module or "").rpartition(".")[0]
    return f"from {package} import {service.grpc_module_alias}"


def services_module(services: Sequence[ProvidedService]) -> str:
    """The module for the services with generated code (the others are left out)."""
    known = [service for service in services if service.grpc_module is not None]
    modules: dict[str, set[str]] = {}
    for service in known:
        for module in _modules_of(service):
            package, _, name = module.rpartition(".")
            modules.setdefault(package, set()).add(name)
    imports = import_block(
        *(f"from {package} import {', '.join(sorted(names))}" for package, names in modules.items())
    )
    classes = "".join(_servicer_class(service) for service in known).rstrip("\n")
    return render_template(
        "package/services.py.tmpl", {"service_imports": imports, "service_classes": classes}
    )


def _modules_of(service: ProvidedService) -> set[str]:
    modules = {service.grpc_module or ""}
    for method in service.methods:
        if not method.streaming:
            modules.update((method.request.module, method.response.module))
    return modules


def _servicer_class(service: ProvidedService) -> str:
    unary = [method for method in service.methods if not method.streaming]
    streaming = [method.name for method in service.methods if method.streaming]
    lines = [
        "",
        "",
        f"class {service.short_name}({service.grpc_module_alias}.{service.short_name}Servicer):",
        f'    """{service.full_name}: every method answers UNIMPLEMENTED until you write it."""',
    ]
    if streaming:
        lines.append(f"    # Streaming methods to write yourself: {', '.join(streaming)}.")
    for method in unary:
        lines.append("")
        lines.extend(_method_lines(method))
    return "\n".join(lines) + "\n"


def _method_lines(method: RpcMethod) -> list[str]:
    params = f"self, request: {method.request.annotation}, context: Context"
    returns = method.response.annotation
    head = f"    async def {method.name}({params}) -> {returns}:"
    if len(head) <= _LINE_LENGTH:
        signature = [head]
    elif len(f"        {params}") <= _LINE_LENGTH:
        signature = [f"    async def {method.name}(", f"        {params}", f"    ) -> {returns}:"]
    else:
        signature = [
            f"    async def {method.name}(",
            "        self,",
            f"        request: {method.request.annotation},",
            "        context: Context,",
            f"    ) -> {returns}:",
        ]
    arguments = f'grpc.StatusCode.UNIMPLEMENTED, "{method.name} is not implemented yet"'
    call = f"        await context.abort({arguments})"
    if len(call) <= _LINE_LENGTH:
        return [*signature, call]
    return [*signature, "        await context.abort(", f"            {arguments}", "        )"]
