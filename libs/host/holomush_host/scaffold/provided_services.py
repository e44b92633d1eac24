"""Which generated gRPC module serves a ``provides:`` entry, so a servicer can be generated."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["MessageType", "ProvidedService", "RpcMethod", "provided_service"]


@dataclass(frozen=True)
class MessageType:
    module: str
    """The generated module defining it, e.g. ``holomush.scene.v1.scene_pb2``."""
    qualified_name: str
    """Its name inside that module, e.g. ``GetSceneRequest`` or ``Outer.Inner``."""

    @property
    def module_alias(self) -> str:
        return self.module.rpartition(".")[2]

    @property
    def annotation(self) -> str:
        return f"{self.module_alias}.{self.qualified_name}"


@dataclass(frozen=True)
class RpcMethod:
    name: str
    request: MessageType
    response: MessageType
    streaming: bool


@dataclass(frozen=True)
class ProvidedService:
    full_name: str
    """``holomush.scene.v1.SceneService``."""
    short_name: str
    """``SceneService``."""
    grpc_module: str | None = None
    """``holomush.scene.v1.scene_pb2_grpc``; None when no generated code for it is found."""
    methods: tuple[RpcMethod, ...] = ()

    @property
    def grpc_module_alias(self) -> str:
        """The name the module is imported under (``scene_pb2_grpc``)."""
        if self.grpc_module is None:
            raise ValueError(f"{self.full_name} has no generated gRPC module")
        return self.grpc_module.rpartition(".")[2]

    @property
    def attribute(self) -> str:
        """The plugin object's attribute holding the servicer (``scene_service``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.short_name).lower()


def provided_service(full_name: str) -> ProvidedService:
    """Look ``full_name`` up among the importable generated protobuf modules."""
    package, _, short_name = full_name.rpartition(".")
    found = _defining_module(package, short_name)
    if found is None:
        return ProvidedService(full_name, short_name)
    module, descriptor = found
    grpc_module = module.__name__ + "_grpc"
    if importlib.util.find_spec(grpc_module) is None:
        return ProvidedService(full_name, short_name)
    methods = tuple(
        RpcMethod(
            method.name,
            _message_type(method.input_type),
            _message_type(method.output_type),
            bool(method.client_streaming or method.server_streaming),
        )
        for method in descriptor.methods
    )
    return ProvidedService(full_name, short_name, grpc_module, methods)


def _defining_module(package: str, short_name: str) -> tuple[ModuleType, Any] | None:
    """The ``*_pb2`` module of ``package`` that defines the service, and its descriptor.

    Only modules importable here count: the protos generated into this repo (and shipped
    in the host) are found; a service the author has yet to write a proto for is not.
    """
    if not package:
        return None
    try:
        parent = importlib.import_module(package)
    except ImportError:
        return None
    for info in pkgutil.iter_modules(getattr(parent, "__path__", None) or []):
        if not info.name.endswith("_pb2"):
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}")
        except ImportError:
            continue
        services = getattr(getattr(module, "DESCRIPTOR", None), "services_by_name", {})
        if short_name in services:
            return module, services[short_name]
    return None


def _message_type(descriptor: Any) -> MessageType:
    # protoc names the module after the .proto file: a/b/c.proto -> a.b.c_pb2.
    file_name: str = descriptor.file.name
    module = file_name.removesuffix(".proto").replace("/", ".") + "_pb2"
    package: str = descriptor.file.package
    full_name: str = descriptor.full_name
    qualified = full_name[len(package) + 1 :] if package else full_name
    return MessageType(module, qualified)
