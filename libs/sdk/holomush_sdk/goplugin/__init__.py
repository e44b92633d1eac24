"""HashiCorp go-plugin's gRPC protocol in Python: plugin server and host client.

Plugin side (what the SDK's ``serve`` runs)::

    from holomush_sdk.goplugin.server import run_plugin

    def register(server, broker):          # may also be ``async def``
        my_pb2_grpc.add_MyServicer_to_server(MyServicer(broker), server)

    run_plugin(register)                   # handshake, serve, exit 0 on Shutdown

Host side::

    from holomush_sdk.goplugin.client import PluginCommand, start_plugin
    from holomush_sdk.goplugin.tls import TransportSecurity

    tls = TransportSecurity.mtls()         # once per host: makes the CA
    plugin = await start_plugin("echo-bot", PluginCommand(argv=[exe]), tls=tls)
    stub = MyStub(plugin.channel)
    broker_id = plugin.broker.next_id()    # serve the host API to the plugin
    await plugin.broker.accept_and_serve(broker_id, lambda s: add_HostApi(s))
    plugin.add_exit_callback(supervisor.on_exit)
    await plugin.kill()                    # Shutdown, 2 s grace, then SIGKILL

The names below are loaded on first use, so that a plugin importing
``holomush_sdk.goplugin.server`` does not pay for the host side (or ``cryptography``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from holomush_sdk.goplugin.broker import GRPCBroker as GRPCBroker
    from holomush_sdk.goplugin.client import PluginClient as PluginClient
    from holomush_sdk.goplugin.client import PluginCommand as PluginCommand
    from holomush_sdk.goplugin.client import PluginExit as PluginExit
    from holomush_sdk.goplugin.client import start_plugin as start_plugin
    from holomush_sdk.goplugin.errors import BrokerError as BrokerError
    from holomush_sdk.goplugin.errors import GoPluginError as GoPluginError
    from holomush_sdk.goplugin.errors import HandshakeError as HandshakeError
    from holomush_sdk.goplugin.errors import PluginConnectError as PluginConnectError
    from holomush_sdk.goplugin.errors import TransportSecurityError as TransportSecurityError
    from holomush_sdk.goplugin.handshake import HOLOMUSH_HANDSHAKE as HOLOMUSH_HANDSHAKE
    from holomush_sdk.goplugin.handshake import HandshakeConfig as HandshakeConfig
    from holomush_sdk.goplugin.server import RegisterServices as RegisterServices
    from holomush_sdk.goplugin.server import run_plugin as run_plugin
    from holomush_sdk.goplugin.server import serve_plugin as serve_plugin
    from holomush_sdk.goplugin.tls import CertificateAuthority as CertificateAuthority
    from holomush_sdk.goplugin.tls import TransportSecurity as TransportSecurity

_EXPORTS = {
    "GRPCBroker": "broker",
    "PluginClient": "client",
    "PluginCommand": "client",
    "PluginExit": "client",
    "start_plugin": "client",
    "BrokerError": "errors",
    "GoPluginError": "errors",
    "HandshakeError": "errors",
    "PluginConnectError": "errors",
    "TransportSecurityError": "errors",
    "HOLOMUSH_HANDSHAKE": "handshake",
    "HandshakeConfig": "handshake",
    "RegisterServices": "server",
    "run_plugin": "server",
    "serve_plugin": "server",
    "CertificateAuthority": "tls",
    "TransportSecurity": "tls",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
