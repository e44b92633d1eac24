"""Names of the environment variables the host and the plugin exchange."""

from __future__ import annotations

from typing import Final

# go-plugin's own variables (wire protocol §1.1).
PLUGIN_PROTOCOL_VERSIONS: Final = "PLUGIN_PROTOCOL_VERSIONS"
PLUGIN_MIN_PORT: Final = "PLUGIN_MIN_PORT"
PLUGIN_MAX_PORT: Final = "PLUGIN_MAX_PORT"
PLUGIN_MULTIPLEX_GRPC: Final = "PLUGIN_MULTIPLEX_GRPC"
PLUGIN_CLIENT_CERT: Final = "PLUGIN_CLIENT_CERT"
PLUGIN_UNIX_SOCKET_DIR: Final = "PLUGIN_UNIX_SOCKET_DIR"
PLUGIN_UNIX_SOCKET_GROUP: Final = "PLUGIN_UNIX_SOCKET_GROUP"

# HoloMUSH mTLS key material: each holds a *file path* (reference §2.4).
HOLOMUSH_PLUGIN_CERT: Final = "HOLOMUSH_PLUGIN_CERT"
HOLOMUSH_PLUGIN_KEY: Final = "HOLOMUSH_PLUGIN_KEY"
HOLOMUSH_CA_CERT: Final = "HOLOMUSH_CA_CERT"

HOLOMUSH_TLS_VARS: Final = (HOLOMUSH_PLUGIN_CERT, HOLOMUSH_PLUGIN_KEY, HOLOMUSH_CA_CERT)

# Read by grpc core when it initialises (before `import grpc` finishes), so only a
# parent can set it for a child. See tls.TLS13_ONLY_CIPHER_SUITES.
GRPC_SSL_CIPHER_SUITES: Final = "GRPC_SSL_CIPHER_SUITES"


def is_protocol_variable(name: str) -> bool:
    """True for variables a host must not pass on from its own environment."""
    return name.startswith("PLUGIN_") or name in HOLOMUSH_TLS_VARS
