"""Host side transport security: the plugin CA, and what each started plugin gets.

Modes (wire protocol §0 and architecture "Transport security"):

* ``TransportSecurity.mtls()`` (the default): an ephemeral ECDSA P-256 CA made by the
  host signs one certificate for the host (identity ``holomush-host``) and one per plugin
  (``holomush-plugin-<name>``). Plugin key material is written to a private 0700 directory
  whose file paths go to the plugin in ``HOLOMUSH_PLUGIN_CERT``, ``HOLOMUSH_PLUGIN_KEY``
  and ``HOLOMUSH_CA_CERT``; the directory is removed when the plugin stops. Every
  connection (main and brokered, both directions) is TLS 1.3 with both certificates
  checked, and each side also checks the *identity* of the other.
* ``TransportSecurity.auto_mtls()``: go-plugin AutoMTLS as a Go host does it (host cert in
  ``PLUGIN_CLIENT_CERT``, plugin cert back in the handshake line); for plugins written for
  generic go-plugin hosts.
* ``TransportSecurity.plaintext(insecure=True)``: no TLS at all; only on explicit request,
  and it logs a loud warning.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from holomush_sdk.goplugin import certs
from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.envvars import (
    GRPC_SSL_CIPHER_SUITES,
    HOLOMUSH_CA_CERT,
    HOLOMUSH_PLUGIN_CERT,
    HOLOMUSH_PLUGIN_KEY,
    PLUGIN_CLIENT_CERT,
    PLUGIN_UNIX_SOCKET_DIR,
)
from holomush_sdk.goplugin.errors import PluginConnectError
from holomush_sdk.goplugin.identities import HOST_IDENTITY, plugin_identity, validate_plugin_name

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    from holomush_sdk.goplugin.handshake import HandshakeLine

__all__ = [
    "TLS13_ONLY_CIPHER_SUITES",
    "CertificateAuthority",
    "KeyPair",
    "PluginTransport",
    "TransportSecurity",
]

KeyPair = certs.KeyPair

DEFAULT_VALIDITY: Final = datetime.timedelta(days=3650)

# grpcio exposes no TLS-version setting, but grpc core reads its TLS 1.2 cipher list from
# GRPC_SSL_CIPHER_SUITES when it initialises. A list holding only a PSK suite (which a
# certificate-based server can never select) leaves TLS 1.3 as the only version that can
# complete. The host sets it in each plugin's environment; a host process that wants the
# same for its own brokered servers must set it before importing grpc.
TLS13_ONLY_CIPHER_SUITES: Final = "PSK-AES128-CBC-SHA"

SecurityMode = Literal["mtls", "automtls", "plaintext"]

_log = logging.getLogger(__name__)

_INSECURE_WARNING: Final = (
    "PLUGIN TRANSPORT SECURITY IS OFF (insecure=True): plugin connections are unencrypted "
    "and unauthenticated; any local process that can reach the sockets can impersonate "
    "the host or a plugin. Use this only for debugging."
)


class CertificateAuthority:
    """An in-memory ECDSA P-256 CA; the private key never touches the disk."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self._cert = cert
        self._key = key
        self.cert_pem: bytes = certs.certificate_pem(cert)

    @classmethod
    def generate(
        cls,
        *,
        common_name: str = "HoloMUSH plugin CA",
        validity: datetime.timedelta = DEFAULT_VALIDITY,
    ) -> CertificateAuthority:
        cert, key = certs.generate_ca(common_name, validity)
        return cls(cert, key)

    def issue(self, identity: str, *, validity: datetime.timedelta = DEFAULT_VALIDITY) -> KeyPair:
        """A certificate for ``identity`` (CN and DNS SAN), for TLS server and client use."""
        return certs.issue_leaf(self._cert, self._key, identity, validity)

    def issue_plugin_certificate(self, plugin_name: str) -> KeyPair:
        return self.issue(plugin_identity(plugin_name))

    def issue_host_certificate(self) -> KeyPair:
        return self.issue(HOST_IDENTITY)


@dataclass
class PluginTransport:
    """What one started plugin gets: a private directory, env vars, the host's TLS side.

    ``directory`` (mode 0700) holds the plugin's key material (mTLS) and every unix
    socket of this plugin connection; ``cleanup()`` removes it.
    """

    plugin_name: str
    mode: SecurityMode
    directory: str
    env: dict[str, str]
    _host_pair: KeyPair | None = None
    _trust_pem: bytes | None = None
    _peer_cert_curve: str | None = field(default=None, init=False)

    def channel_security(self, handshake: HandshakeLine) -> ChannelSecurity:
        """The host's side of the connection, once the handshake line is known."""
        if self.mode == "plaintext":
            if handshake.server_cert_der is not None:
                raise PluginConnectError(_unexpected_cert(self.plugin_name))
            return ChannelSecurity.plaintext()
        assert self._host_pair is not None
        if self.mode == "mtls":
            if handshake.server_cert_der is not None:
                raise PluginConnectError(_unexpected_cert(self.plugin_name))
            identity = plugin_identity(self.plugin_name)
            return ChannelSecurity(
                cert_pem=self._host_pair.cert_pem,
                key_pem=self._host_pair.key_pem,
                trust_pem=self._trust_pem,
                peer_name=identity,
                required_client_identity=identity,
            )
        if handshake.server_cert_der is None:
            raise PluginConnectError(
                f"plugin {self.plugin_name!r} returned no certificate in its handshake line, "
                "but AutoMTLS is on (does the plugin implement go-plugin AutoMTLS?)"
            )
        plugin_cert = certs.load_der_certificate(handshake.server_cert_der)
        self._peer_cert_curve = certs.curve_name(plugin_cert)
        return ChannelSecurity(
            cert_pem=self._host_pair.cert_pem,
            key_pem=self._host_pair.key_pem,
            trust_pem=certs.der_to_pem(handshake.server_cert_der),
            peer_name=certs.AUTOMTLS_NAME,
        )

    def explain_connect_failure(self) -> str | None:
        """A known cause for a failed TLS connection, if there is one to name."""
        if self._peer_cert_curve == "P-521":
            return certs.describe_p521_limitation(f"plugin {self.plugin_name!r}'s")
        if self.mode == "automtls" and self._host_pair is not None:
            own = certs.curve_name(certs.load_pem_certificate(self._host_pair.cert_pem))
            if own == "P-521":
                return certs.describe_p521_limitation("the host's (PLUGIN_CLIENT_CERT)")
        return None

    def cleanup(self) -> None:
        """Remove the directory, key material and sockets included. Idempotent."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _unexpected_cert(name: str) -> str:
    return (
        f"plugin {name!r} sent a TLS certificate in its handshake line but AutoMTLS is not "
        f"enabled on this host (is {PLUGIN_CLIENT_CERT} leaking into its environment?)"
    )


class TransportSecurity:
    """The host's security policy for the plugins it starts (see the module docstring)."""

    def __init__(
        self,
        mode: SecurityMode,
        *,
        ca: CertificateAuthority | None = None,
        automtls_curve: str = "P-256",
        base_directory: str | None = None,
    ) -> None:
        self.mode: SecurityMode = mode
        self.ca = ca
        self._automtls_curve = automtls_curve
        self._base_directory = base_directory
        self._host_pair = ca.issue_host_certificate() if ca is not None else None

    @classmethod
    def mtls(
        cls, ca: CertificateAuthority | None = None, *, base_directory: str | None = None
    ) -> TransportSecurity:
        """HoloMUSH mTLS with ``ca`` (a fresh ephemeral CA when None)."""
        return cls("mtls", ca=ca or CertificateAuthority.generate(), base_directory=base_directory)

    @classmethod
    def auto_mtls(
        cls, *, curve: str = "P-256", base_directory: str | None = None
    ) -> TransportSecurity:
        """go-plugin AutoMTLS, host certificate on ``curve`` (P-521 reproduces go-plugin's)."""
        return cls("automtls", automtls_curve=curve, base_directory=base_directory)

    @classmethod
    def plaintext(cls, *, insecure: bool, base_directory: str | None = None) -> TransportSecurity:
        """No TLS. Refused unless ``insecure=True`` is passed explicitly."""
        if insecure is not True:
            raise ValueError("plaintext plugin transport needs an explicit insecure=True")
        _log.warning(_INSECURE_WARNING)
        return cls("plaintext", base_directory=base_directory)

    @classmethod
    def from_flags(cls, *, insecure: bool = False) -> TransportSecurity:
        """What a host CLI wants: mTLS, or plaintext when ``--insecure-plugins`` was given."""
        return cls.plaintext(insecure=True) if insecure else cls.mtls()

    def prepare(self, plugin_name: str) -> PluginTransport:
        """Create the plugin's private directory and material. The caller must ``cleanup()``."""
        validate_plugin_name(plugin_name)
        directory = tempfile.mkdtemp(prefix="holomush-plugin-", dir=self._base_directory)
        os.chmod(directory, 0o700)
        env = {PLUGIN_UNIX_SOCKET_DIR: directory}
        try:
            if self.mode == "mtls":
                assert self.ca is not None
                assert self._host_pair is not None
                pair = self.ca.issue_plugin_certificate(plugin_name)
                env |= {
                    HOLOMUSH_PLUGIN_CERT: _write_private(directory, "plugin.crt", pair.cert_pem),
                    HOLOMUSH_PLUGIN_KEY: _write_private(directory, "plugin.key", pair.key_pem),
                    HOLOMUSH_CA_CERT: _write_private(directory, "ca.crt", self.ca.cert_pem),
                    GRPC_SSL_CIPHER_SUITES: TLS13_ONLY_CIPHER_SUITES,
                }
                return PluginTransport(
                    plugin_name, "mtls", directory, env, self._host_pair, self.ca.cert_pem
                )
            if self.mode == "automtls":
                host_pair = certs.generate_automtls_certificate(self._automtls_curve)
                env[PLUGIN_CLIENT_CERT] = host_pair.cert_pem.decode("ascii")
                return PluginTransport(plugin_name, "automtls", directory, env, host_pair)
            _log.warning("plugin %s: %s", plugin_name, _INSECURE_WARNING)
            return PluginTransport(plugin_name, "plaintext", directory, env)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise


def _write_private(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path
