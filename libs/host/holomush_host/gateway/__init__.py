"""The telnet front end: RFC 854 byte handling, connections, the listener."""

from holomush_host.gateway.connection import TelnetConnection, TelnetSettings
from holomush_host.gateway.server import DEFAULT_TELNET_PORT, TelnetServer
from holomush_host.gateway.sessions import LiveSession, PlayerSessions

__all__ = [
    "DEFAULT_TELNET_PORT",
    "LiveSession",
    "PlayerSessions",
    "TelnetConnection",
    "TelnetServer",
    "TelnetSettings",
]
