"""The host's settings, and where the defaults come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import platformdirs

from holomush_host.dispatch.dispatcher import DEFAULT_COMMAND_TIMEOUT
from holomush_host.gateway.connection import TelnetSettings
from holomush_host.gateway.server import DEFAULT_TELNET_PORT
from holomush_host.gateway.sessions import DEFAULT_RESUME_TTL_SECONDS

DEFAULT_GRPC_PORT: Final = 9000
DEFAULT_PLUGINS_DIR: Final = Path("plugins")
EMBEDDED_DATABASE: Final = "holomush"


def default_data_dir() -> Path:
    """The user's data directory for HoloMUSH (e.g. ``~/.local/share/holomush``)."""
    return Path(platformdirs.user_data_dir("holomush", appauthor=False))


@dataclass(frozen=True)
class HostConfig:
    plugins_dir: Path = DEFAULT_PLUGINS_DIR
    #: Persistent state: the embedded PostgreSQL lives under ``<data_dir>/postgres``.
    data_dir: Path = field(default_factory=default_data_dir)
    #: None: run the embedded PostgreSQL.
    database_url: str | None = None
    telnet_host: str = "0.0.0.0"
    telnet_port: int = DEFAULT_TELNET_PORT
    grpc_host: str = "127.0.0.1"
    grpc_port: int = DEFAULT_GRPC_PORT
    #: Plaintext plugin connections instead of mutual TLS.
    insecure_plugins: bool = False
    #: The allowlist for manifests that ask for ``trust.all_principals``.
    trusted_plugins: tuple[str, ...] = ()
    telnet: TelnetSettings = field(default_factory=TelnetSettings)
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    #: How long a dropped connection's session waits for ``resume <code>``.
    session_ttl_seconds: int = DEFAULT_RESUME_TTL_SECONDS
    #: How long a plugin has to start (handshake) and to finish Init.
    plugin_start_timeout: float = 60.0

    @property
    def embedded_postgres_dir(self) -> Path:
        return self.data_dir / "postgres"
