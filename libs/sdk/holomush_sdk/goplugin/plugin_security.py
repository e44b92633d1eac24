"""Plugin side: choose the transport security from the environment the host provided.

In order of precedence (go-plugin gives a TLSProvider precedence over AutoMTLS):

1. HoloMUSH mTLS: ``HOLOMUSH_PLUGIN_CERT``, ``HOLOMUSH_PLUGIN_KEY`` and
   ``HOLOMUSH_CA_CERT`` name PEM files. The plugin serves with its certificate, trusts the
   CA, and accepts only clients whose certificate carries the host's identity.
2. go-plugin AutoMTLS: ``PLUGIN_CLIENT_CERT`` holds the host's PEM certificate. The plugin
   makes a self-signed P-256 certificate (go-plugin's profile otherwise) and returns it in
   the handshake line; each side trusts exactly the other's certificate.
3. Neither: plaintext (what a go-plugin host without AutoMTLS expects).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.envvars import HOLOMUSH_TLS_VARS, PLUGIN_CLIENT_CERT
from holomush_sdk.goplugin.errors import TransportSecurityError
from holomush_sdk.goplugin.identities import HOST_IDENTITY

_log = logging.getLogger(__name__)

SecurityMode = Literal["holomush-mtls", "automtls", "plaintext"]


@dataclass(frozen=True)
class PluginSecurity:
    """The plugin's settings; ``server_cert_der`` goes into handshake field 5 (AutoMTLS)."""

    mode: SecurityMode
    channel: ChannelSecurity
    server_cert_der: bytes | None = None


def load_plugin_security(environ: Mapping[str, str]) -> PluginSecurity:
    """Read the host's choice from ``environ``; TransportSecurityError when it is unusable."""
    paths = {var: environ.get(var, "") for var in HOLOMUSH_TLS_VARS}
    if any(paths.values()):
        return _holomush_mtls(paths)
    host_cert = environ.get(PLUGIN_CLIENT_CERT, "")
    if host_cert:
        return _auto_mtls(host_cert.encode("utf-8"))
    return PluginSecurity(mode="plaintext", channel=ChannelSecurity.plaintext())


def _holomush_mtls(paths: dict[str, str]) -> PluginSecurity:
    missing = [var for var, path in paths.items() if not path]
    if missing:
        raise TransportSecurityError(
            f"incomplete mTLS configuration: {', '.join(missing)} not set "
            f"(all of {', '.join(HOLOMUSH_TLS_VARS)} are needed)"
        )
    cert, key, ca = (_read_pem(var, paths[var]) for var in HOLOMUSH_TLS_VARS)
    channel = ChannelSecurity(
        cert_pem=cert,
        key_pem=key,
        trust_pem=ca,
        peer_name=HOST_IDENTITY,
        required_client_identity=HOST_IDENTITY,
    )
    return PluginSecurity(mode="holomush-mtls", channel=channel)


def _read_pem(var: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise TransportSecurityError(f"{var}: cannot read {path!r}: {exc.strerror}") from None
    if b"-----BEGIN " not in data:
        raise TransportSecurityError(f"{var}: {path!r} is not a PEM file")
    return data


def _auto_mtls(host_cert_pem: bytes) -> PluginSecurity:
    from holomush_sdk.goplugin import certs  # cryptography is imported only in this mode

    try:
        host_cert = certs.load_pem_certificate(host_cert_pem)
    except ValueError as exc:
        raise TransportSecurityError(f"{PLUGIN_CLIENT_CERT}: {exc}") from None
    if certs.curve_name(host_cert) == "P-521":
        _log.error(certs.describe_p521_limitation("the host's (PLUGIN_CLIENT_CERT)"))
    own = certs.generate_automtls_certificate("P-256")
    channel = ChannelSecurity(
        cert_pem=own.cert_pem,
        key_pem=own.key_pem,
        trust_pem=host_cert_pem,
        peer_name=certs.AUTOMTLS_NAME,
    )
    return PluginSecurity(
        mode="automtls", channel=channel, server_cert_der=certs.pem_to_der(own.cert_pem)
    )
