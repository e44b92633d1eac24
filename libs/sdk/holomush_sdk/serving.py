"""Entry points: `serve` and `serve_with_services`."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import grpc

from holomush.plugin.v1 import plugin_pb2_grpc
from holomush_sdk._invoke import call_maybe_async
from holomush_sdk.adapter import PluginServiceAdapter
from holomush_sdk.attributes import AttributeResolverProvider, add_attribute_resolver_to_server
from holomush_sdk.errors import PluginConfigError
from holomush_sdk.interceptors import HookedServer, actor_hook, chain_hooks, validation_hook
from holomush_sdk.interfaces import Handler, ServiceProvider
from holomush_sdk.validation import Validator

if TYPE_CHECKING:
    from holomush_sdk.goplugin.broker import GRPCBroker

RegisterServices = Callable[[grpc.aio.Server, "GRPCBroker"], Awaitable[None]]

__all__ = [
    "RegisterServices",
    "ServeConfig",
    "plugin_services",
    "serve",
    "serve_async",
    "serve_with_services",
]


@dataclass(frozen=True)
class ServeConfig:
    """How to serve the plugin.

    - `handler`: your `Handler` (and, optionally, `CommandHandler`) object. Required.
    - `validator`: checks every incoming request; default: the SDK's rule table
      (`holomush_sdk.validation`).
    - `plugin_name`: sent with KV calls (the host scopes keys by the connection anyway);
      default: the executable's name, which the manifest's ``binary-plugin.executable``
      normally makes the plugin's name.
    """

    handler: Handler
    validator: Validator | None = None
    plugin_name: str | None = None


def _default_plugin_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    stem = name.rsplit(".", 1)[0] if name.endswith((".py", ".pex")) else name
    return stem or "plugin"


def _check(config: ServeConfig | None, provider: object, *, with_services: bool) -> ServeConfig:
    if config is None:
        raise PluginConfigError("plugin: config cannot be None")
    if config.handler is None:
        raise PluginConfigError("plugin: config.handler cannot be None")
    if not isinstance(config.handler, Handler):
        raise PluginConfigError(
            f"plugin: config.handler ({type(config.handler).__name__}) must implement "
            "handle_event(event)"
        )
    if with_services:
        if provider is None:
            raise PluginConfigError("plugin: provider cannot be None")
        if not isinstance(provider, ServiceProvider):
            raise PluginConfigError(
                f"plugin: provider ({type(provider).__name__}) must implement "
                "register_services(registrar) and init(config)"
            )
    return config


def plugin_services(
    config: ServeConfig, provider: ServiceProvider | None = None
) -> RegisterServices:
    """The transport's registration callback for this plugin (what `serve` runs).

    It registers PluginService, the provider's services and the attribute resolver, each
    wrapped with the SDK's request hooks (actor context, then validation).
    """
    plugin_name = config.plugin_name or _default_plugin_name()
    hook = chain_hooks(actor_hook, validation_hook(config.validator))

    async def register(server: grpc.aio.Server, broker: GRPCBroker) -> None:
        registrar = HookedServer(server, hook)
        adapter = PluginServiceAdapter(config.handler, provider, broker, plugin_name=plugin_name)
        plugin_pb2_grpc.add_PluginServiceServicer_to_server(adapter, registrar)
        if provider is not None:
            # Before Init, by design: the provider's servicers exist but are not wired yet.
            await call_maybe_async(provider.register_services, registrar)
        for obj in _distinct(config.handler, provider):
            if isinstance(obj, AttributeResolverProvider):
                add_attribute_resolver_to_server(obj.attribute_resolver(), registrar)
                break

    return register


def _distinct(*objects: object) -> list[object]:
    unique: list[object] = []
    for obj in objects:
        if obj is not None and all(obj is not seen for seen in unique):
            unique.append(obj)
    return unique


async def serve_async(config: ServeConfig, provider: ServiceProvider | None = None) -> int:
    """Serve until the host shuts the plugin down; returns the process exit code."""
    checked = _check(config, provider, with_services=provider is not None)
    register = plugin_services(checked, provider)
    from holomush_sdk.goplugin.server import serve_plugin

    return await serve_plugin(register)


def serve(config: ServeConfig) -> NoReturn:
    """Serve an event/command plugin (no provided or required services). Never returns."""
    register = plugin_services(_check(config, None, with_services=False))
    from holomush_sdk.goplugin.server import run_plugin

    run_plugin(register)


def serve_with_services(config: ServeConfig, provider: ServiceProvider) -> NoReturn:
    """Serve a plugin that provides gRPC services and/or receives Init. Never returns."""
    checked = _check(config, provider, with_services=True)
    register = plugin_services(checked, provider)
    from holomush_sdk.goplugin.server import run_plugin

    run_plugin(register)
