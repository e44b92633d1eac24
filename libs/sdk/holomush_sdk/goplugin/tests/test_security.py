"""Transport security: mutual TLS 1.3, peer identities, AutoMTLS and the P-521 pitfall."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import ssl
import stat
import tempfile

import grpc
import grpc.aio
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holomush_sdk.goplugin.certs import KeyPair, generate_automtls_certificate, pem_to_der
from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.client import start_plugin
from holomush_sdk.goplugin.errors import PluginConnectError
from holomush_sdk.goplugin.handshake import HandshakeLine
from holomush_sdk.goplugin.identities import HOST_IDENTITY, plugin_identity
from holomush_sdk.goplugin.plugin_security import load_plugin_security
from holomush_sdk.goplugin.tests.fixtures.fixture_service import (
    FIXTURE_SERVICE,
    HOST_SIDE_SERVICE,
    call,
    hello_service,
)
from holomush_sdk.goplugin.tests.support import RecordCollector, fixture_command, running
from holomush_sdk.goplugin.tls import CertificateAuthority, TransportSecurity


async def _health_code(
    address: str, pair: KeyPair, trust_pem: bytes, peer_name: str
) -> grpc.StatusCode:
    """Call Health.Check on a plugin socket presenting ``pair``."""
    security = ChannelSecurity(
        cert_pem=pair.cert_pem, key_pem=pair.key_pem, trust_pem=trust_pem, peer_name=peer_name
    )
    async with security.open_channel(f"unix:{address}", []) as channel:
        try:
            await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="plugin"), timeout=5
            )
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def test_only_the_hosts_identity_may_call_a_plugin(
    ca: CertificateAuthority, mtls: TransportSecurity
) -> None:
    async with running("guarded", fixture_command("echo_plugin"), tls=mtls) as client:
        peer = plugin_identity("guarded")
        # The host's own identity works.
        assert (
            await _health_code(client.address, ca.issue_host_certificate(), ca.cert_pem, peer)
            == grpc.StatusCode.OK
        )
        # A certificate from another CA fails the TLS handshake itself.
        foreign = CertificateAuthority.generate(common_name="foreign").issue_host_certificate()
        assert (
            await _health_code(client.address, foreign, ca.cert_pem, peer)
            == grpc.StatusCode.UNAVAILABLE
        )
        # The right CA but another identity (a plugin's) is refused on every service.
        other = ca.issue_plugin_certificate("other")
        assert (
            await _health_code(client.address, other, ca.cert_pem, peer)
            == grpc.StatusCode.PERMISSION_DENIED
        )
        security = ChannelSecurity(
            cert_pem=other.cert_pem, key_pem=other.key_pem, trust_pem=ca.cert_pem, peer_name=peer
        )
        async with security.open_channel(f"unix:{client.address}", []) as channel:
            for method in ("Echo", "NoSuchMethod"):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, FIXTURE_SERVICE, method)(b"x")
                assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # Only the host learns that a method does not exist.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(client.channel, FIXTURE_SERVICE, "NoSuchMethod")(b"x")
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_host_refuses_a_plugin_with_a_foreign_certificate(mtls: TransportSecurity) -> None:
    with pytest.raises(PluginConnectError, match="connection check failed: UNAVAILABLE") as caught:
        await start_plugin(
            "impostor", fixture_command("echo_plugin", FIXTURE_FOREIGN_CERT="1"), tls=mtls
        )
    assert "impostor" in str(caught.value)


def _write(path: str, data: bytes) -> str:
    with open(path, "wb") as handle:
        handle.write(data)
    return path


async def test_host_pins_the_plugins_identity(ca: CertificateAuthority) -> None:
    """A plugin serving another plugin's (valid) certificate is refused by name."""
    with tempfile.TemporaryDirectory(prefix="gps-") as directory:
        swapped = ca.issue_plugin_certificate("someone-else")
        paths = {}
        for name, data in (
            ("c.crt", swapped.cert_pem),
            ("c.key", swapped.key_pem),
            ("ca.crt", ca.cert_pem),
        ):
            paths[name] = _write(os.path.join(directory, name), data)
        # Wrap the real command so that its env (set last by the host) is overridden.
        command = fixture_command("echo_plugin")
        argv = [
            "env",
            f"HOLOMUSH_PLUGIN_CERT={paths['c.crt']}",
            f"HOLOMUSH_PLUGIN_KEY={paths['c.key']}",
            *command.argv,
        ]
        with pytest.raises(PluginConnectError, match="UNAVAILABLE"):
            await start_plugin(
                "pinned", type(command)(argv=argv, env=command.env), tls=TransportSecurity.mtls(ca)
            )


async def test_a_plugin_cannot_call_another_plugin_or_its_host_services(
    mtls: TransportSecurity,
) -> None:
    async with (
        running("alpha", fixture_command("echo_plugin"), tls=mtls) as alpha,
        running("beta", fixture_command("echo_plugin"), tls=mtls) as beta,
    ):
        probe = call(alpha.channel, FIXTURE_SERVICE, "Probe")
        # alpha -> beta's main server, pretending to be the host.
        request = {"target": f"unix:{beta.address}", "peer_name": plugin_identity("beta")}
        assert await probe(json.dumps(request).encode()) == b"PERMISSION_DENIED"

        # alpha -> the service the host brokers for beta only.
        before = set(os.listdir(os.path.dirname(beta.address)))
        broker_id = beta.broker.next_id()
        await beta.broker.accept_and_serve(
            broker_id,
            lambda s: s.add_generic_rpc_handlers([hello_service(HOST_SIDE_SERVICE, b"host:")]),
        )
        (new_socket,) = set(os.listdir(os.path.dirname(beta.address))) - before
        host_served = os.path.join(os.path.dirname(beta.address), new_socket)
        request = {"target": f"unix:{host_served}", "peer_name": HOST_IDENTITY}
        assert await probe(json.dumps(request).encode()) == b"PERMISSION_DENIED"
        # beta itself may use it.
        own = json.dumps({"broker_id": broker_id, "payload": "mine"}).encode()
        assert await call(beta.channel, FIXTURE_SERVICE, "CallHost")(own) == b"host:mine"


def _tls_version(
    address: str, pair: KeyPair, ca_pem: bytes, peer: str, maximum: ssl.TLSVersion
) -> str:
    """Handshake with the stdlib (OpenSSL) client; returns the version or the error."""
    with tempfile.TemporaryDirectory() as directory:
        cert, key = os.path.join(directory, "c"), os.path.join(directory, "k")
        for path, data in ((cert, pair.cert_pem), (key, pair.key_pem)):
            with open(path, "wb") as handle:
                handle.write(data)
        context = ssl.create_default_context(cadata=ca_pem.decode())
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["h2"])
        context.maximum_version = maximum
        with socket.socket(socket.AF_UNIX) as raw:
            raw.connect(address)
            try:
                with context.wrap_socket(raw, server_hostname=peer) as wrapped:
                    return str(wrapped.version())
            except (ssl.SSLError, OSError) as exc:
                return f"refused: {exc.__class__.__name__}"


async def test_plugin_speaks_tls_1_3_only(
    ca: CertificateAuthority, mtls: TransportSecurity
) -> None:
    async with running("modern", fixture_command("echo_plugin"), tls=mtls) as client:
        host = ca.issue_host_certificate()
        peer = plugin_identity("modern")
        assert (
            await asyncio.to_thread(
                _tls_version, client.address, host, ca.cert_pem, peer, ssl.TLSVersion.TLSv1_3
            )
            == "TLSv1.3"
        )
        result = await asyncio.to_thread(
            _tls_version, client.address, host, ca.cert_pem, peer, ssl.TLSVersion.TLSv1_2
        )
        assert result.startswith("refused"), result


def _private_directory_contents(directory: str, pid: int) -> dict[str, object]:
    files = {name for name in os.listdir(directory) if not name.startswith("plugin") or "." in name}
    with open(os.path.join(directory, "ca.crt"), "rb") as handle:
        ca_file = handle.read()
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        cmdline = handle.read()
    return {
        "dir_mode": stat.S_IMODE(os.stat(directory).st_mode),
        "files": files,
        "key_mode": stat.S_IMODE(os.stat(os.path.join(directory, "plugin.key")).st_mode),
        "ca_has_private_key": b"PRIVATE KEY" in ca_file,
        "cmdline_names_directory": directory.encode() in cmdline,
    }


async def test_key_material_lives_in_a_private_directory(mtls: TransportSecurity) -> None:
    async with running("keys", fixture_command("echo_plugin"), tls=mtls) as client:
        directory = os.path.dirname(client.address)
        assert _private_directory_contents(directory, client.pid) == {
            "dir_mode": 0o700,
            "files": {"plugin.crt", "plugin.key", "ca.crt"},
            "key_mode": 0o600,
            "ca_has_private_key": False,
            "cmdline_names_directory": False,  # paths travel in env vars only
        }
    assert not _exists(directory)


def _exists(path: str) -> bool:
    return os.path.exists(path)


async def test_automtls_with_a_p521_host_certificate_names_the_cause(collect_logs) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.legacy")
    with pytest.raises(PluginConnectError) as caught:
        await start_plugin(
            "legacy",
            fixture_command("echo_plugin"),
            tls=TransportSecurity.auto_mtls(curve="P-521"),
            start_timeout=20,
        )
    assert "P-521" in str(caught.value)
    assert "BoringSSL" in str(caught.value)
    record = await logs.wait_for(lambda r: "P-521" in r.getMessage())
    assert record.levelno == logging.ERROR  # the plugin says so in its own log too


def test_a_p521_plugin_certificate_is_explained() -> None:
    transport = TransportSecurity.auto_mtls().prepare("gohost")
    try:
        der = pem_to_der(generate_automtls_certificate("P-521").cert_pem)
        line = HandshakeLine(1, 1, "unix", "/p", "grpc", server_cert_der=der)
        transport.channel_security(line)
        explanation = transport.explain_connect_failure()
        assert explanation is not None
        assert "P-521" in explanation
        assert "ecdsa_secp521r1_sha512" in explanation
    finally:
        transport.cleanup()


def test_plugin_side_automtls_certificate_profile() -> None:
    host = generate_automtls_certificate()
    security = load_plugin_security({"PLUGIN_CLIENT_CERT": host.cert_pem.decode()})
    assert security.mode == "automtls"
    assert security.server_cert_der is not None
    cert = x509.load_der_x509_certificate(security.server_cert_der)
    assert cert.subject.rfc4514_string() == "O=HashiCorp,CN=localhost"
    assert cert.issuer == cert.subject
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value.get_values_for_type(x509.DNSName) == ["localhost"]
    usages = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert usages == {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH}
    assert security.channel.trust_pem == host.cert_pem


def test_plugin_side_mtls_needs_all_three_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from holomush_sdk.goplugin.errors import TransportSecurityError

    with pytest.raises(TransportSecurityError, match="HOLOMUSH_CA_CERT"):
        load_plugin_security({"HOLOMUSH_PLUGIN_CERT": "a", "HOLOMUSH_PLUGIN_KEY": "b"})
    with pytest.raises(TransportSecurityError, match="cannot read"):
        load_plugin_security(
            {
                "HOLOMUSH_PLUGIN_CERT": str(tmp_path / "x"),
                "HOLOMUSH_PLUGIN_KEY": "b",
                "HOLOMUSH_CA_CERT": "c",
            }
        )


def test_plaintext_needs_an_explicit_opt_in(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="insecure=True"):
        TransportSecurity.plaintext(insecure=False)
    with caplog.at_level(logging.WARNING, logger="holomush_sdk.goplugin.tls"):
        assert TransportSecurity.from_flags(insecure=True).mode == "plaintext"
    assert "TRANSPORT SECURITY IS OFF" in caplog.text
    assert TransportSecurity.from_flags().mode == "mtls"
