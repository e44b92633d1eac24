"""Handshake line format and parsing (wire protocol §1.4-§1.6), table-driven."""

from __future__ import annotations

import base64

import pytest

from holomush_sdk.goplugin import _gostrconv as go
from holomush_sdk.goplugin.certs import generate_automtls_certificate, pem_to_der
from holomush_sdk.goplugin.handshake import (
    COOKIE_MISMATCH_MESSAGE,
    HOLOMUSH_HANDSHAKE,
    MISCONFIGURED_COOKIE_MESSAGE,
    MUX_NOT_SUPPORTED_MESSAGE,
    HandshakeConfig,
    HandshakeError,
    HandshakeLine,
    check_magic_cookie,
    format_handshake_line,
    negotiate_version,
    parse_handshake_line,
)

CERT_DER = pem_to_der(generate_automtls_certificate().cert_pem)
CERT_FIELD = base64.b64encode(CERT_DER).decode().rstrip("=")


def test_holomush_handshake_values() -> None:
    assert HandshakeConfig(1, "HOLOMUSH_PLUGIN", "holomush-v1") == HOLOMUSH_HANDSHAKE


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HOLOMUSH_PLUGIN": "holomush-v1"}, None),
        ({}, COOKIE_MISMATCH_MESSAGE),
        ({"HOLOMUSH_PLUGIN": "holomush-v2"}, COOKIE_MISMATCH_MESSAGE),
        ({"HOLOMUSH_PLUGIN": "holomush-v1 "}, COOKIE_MISMATCH_MESSAGE),
        ({"HOLOMUSH_PLUGIN": ""}, COOKIE_MISMATCH_MESSAGE),
    ],
)
def test_magic_cookie_must_match_exactly(env: dict[str, str], expected: str | None) -> None:
    assert check_magic_cookie(HOLOMUSH_HANDSHAKE, env) == expected


def test_empty_cookie_configuration_is_a_plugin_bug() -> None:
    assert (
        check_magic_cookie(HandshakeConfig(1, "", "x"), {"": "x"}) == MISCONFIGURED_COOKIE_MESSAGE
    )
    assert (
        check_magic_cookie(HandshakeConfig(1, "K", ""), {"K": ""}) == MISCONFIGURED_COOKIE_MESSAGE
    )


@pytest.mark.parametrize(
    ("server", "env", "expected"),
    [
        ([1], "1", 1),
        ([1, 2, 3], "1,2,3", 3),
        ([1, 2, 3], "3,1,2", 3),  # the host's list is unordered
        ([1, 2], "2,5", 2),
        ([1, 3], "2,3", 3),
        ([2, 4], "1,3", 2),  # nothing in common: the lowest, for the host to reject
        ([2, 4], None, 2),  # legacy host without a list
        ([2, 4], "", 2),
    ],
)
def test_negotiate_version(server: list[int], env: str | None, expected: int) -> None:
    assert negotiate_version(server, env) == expected


def test_negotiate_version_skips_and_reports_bad_entries() -> None:
    complaints: list[str] = []
    assert negotiate_version([1, 2], "x,2, 1", on_invalid=complaints.append) == 2
    assert complaints == [
        'server sent invalid plugin version "x"',
        'server sent invalid plugin version " 1"',
    ]


def test_negotiate_version_needs_a_version() -> None:
    with pytest.raises(ValueError, match="at least one"):
        negotiate_version([], "1")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"app_version": 1, "network": "unix", "address": "/tmp/plugin1"},
            "1|1|unix|/tmp/plugin1|grpc|\n",
        ),
        (
            {"app_version": 2, "network": "tcp", "address": "127.0.0.1:10000"},
            "1|2|tcp|127.0.0.1:10000|grpc|\n",
        ),
        (
            {"app_version": 1, "network": "unix", "address": "/p", "mux_supported": False},
            "1|1|unix|/p|grpc||false\n",
        ),
        (
            {"app_version": 1, "network": "unix", "address": "/p", "server_cert_der": CERT_DER},
            f"1|1|unix|/p|grpc|{CERT_FIELD}\n",
        ),
    ],
)
def test_format_handshake_line(kwargs: dict[str, object], expected: str) -> None:
    assert format_handshake_line(**kwargs) == expected  # type: ignore[arg-type]


def test_format_cert_field_is_unpadded_standard_base64() -> None:
    line = format_handshake_line(
        app_version=1, network="unix", address="/p", server_cert_der=CERT_DER
    )
    field = line.rstrip("\n").split("|")[5]
    assert "=" not in field
    assert len(field) > 50
    assert base64.b64decode(field + "=" * (-len(field) % 4)) == CERT_DER


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"network": "udp", "address": "/p"}, "network"),
        ({"network": "unix", "address": "/tmp/a|b"}, "address"),
        ({"network": "unix", "address": "/tmp/a\nb"}, "address"),
        ({"network": "unix", "address": ""}, "address"),
    ],
)
def test_format_rejects_what_the_line_cannot_carry(kwargs: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        format_handshake_line(app_version=1, **kwargs)  # type: ignore[arg-type]


def test_format_then_parse_round_trip() -> None:
    line = format_handshake_line(
        app_version=3, network="unix", address="/tmp/plugin9", server_cert_der=CERT_DER
    )
    assert parse_handshake_line(line, allowed_versions=[1, 3]) == HandshakeLine(
        core_version=1,
        app_version=3,
        network="unix",
        address="/tmp/plugin9",
        protocol="grpc",
        server_cert_der=CERT_DER,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1|1|unix|/tmp/plugin1|grpc|\n", ("unix", "/tmp/plugin1", "grpc", None)),
        ("1|1|unix|/tmp/plugin1|grpc", ("unix", "/tmp/plugin1", "grpc", None)),  # 5 fields
        (
            "  1|1|tcp|127.0.0.1:1234|grpc|  \r\n",
            ("tcp", "127.0.0.1:1234", "grpc", None),
        ),  # TrimSpace
        ("1|1|tcp|:1234|grpc|", ("tcp", ":1234", "grpc", None)),  # go-plugin's tests use :1234
        ("+1|1|unix|/p|grpc|", ("unix", "/p", "grpc", None)),  # Atoi accepts a sign
        ("01|01|unix|/p|grpc|", ("unix", "/p", "grpc", None)),  # and leading zeros
        ("1|1|unix|/p|grpc|" + "A" * 50, ("unix", "/p", "grpc", None)),  # <= 50 chars: ignored
        ("1|1|unix|/p|grpc||true", ("unix", "/p", "grpc", True)),
        ("1|1|unix|/p|grpc||false|extra", ("unix", "/p", "grpc", False)),  # extra fields ignored
    ],
)
def test_parse_accepts(line: str, expected: tuple[str, str, str, bool | None]) -> None:
    parsed = parse_handshake_line(line, allowed_versions=[1])
    assert (parsed.network, parsed.address, parsed.protocol, parsed.mux_supported) == expected
    assert parsed.server_cert_der is None


INCOMPATIBLE_CORE = (
    "Incompatible core API version with plugin. Plugin version: {}, Core version: 1\n\n"
    "To fix this, the plugin usually only needs to be recompiled.\n"
    "Please report this to the plugin author."
)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # fewer than 4 parts (an empty line included)
        ("", "Unrecognized remote plugin message: "),
        ("lolinvalid", "Unrecognized remote plugin message: lolinvalid"),
        ("1|1|tcp", "Unrecognized remote plugin message: 1|1|tcp"),
        ("Hello from the plugin\n", "Unrecognized remote plugin message: Hello from the plugin"),
        # core protocol version
        (
            "x|1|unix|/p|grpc|",
            'Error parsing core protocol version: strconv.Atoi: parsing "x": invalid syntax',
        ),
        (
            "1.0|1|unix|/p|grpc|",
            'Error parsing core protocol version: strconv.Atoi: parsing "1.0": invalid syntax',
        ),
        (
            " |1|unix|/p|grpc|",
            'Error parsing core protocol version: strconv.Atoi: parsing "": invalid syntax',
        ),
        (
            "99999999999999999999|1|unix|/p|grpc|",
            'Error parsing core protocol version: strconv.Atoi: parsing "99999999999999999999": value out of range',
        ),
        ("2|1|unix|/p|grpc|", INCOMPATIBLE_CORE.format("2")),
        ("0|1|unix|/p|grpc|", INCOMPATIBLE_CORE.format("0")),
        # app protocol version
        (
            "1|one|unix|/p|grpc|",
            'Error parsing protocol version "one": strconv.Atoi: parsing "one": invalid syntax',
        ),
        (
            "1| 1|unix|/p|grpc|",
            'Error parsing protocol version " 1": strconv.Atoi: parsing " 1": invalid syntax',
        ),
        (
            "1|11|tcp|:1234|grpc|",
            "Incompatible API version with plugin. Plugin version: 11, Client versions: [1 2]",
        ),
        # network and address (the message prints the address, not the network)
        ("1|1|udp|/tmp/x|grpc|", "Unknown address type: /tmp/x"),
        ("1|1||/tmp/x|grpc|", "Unknown address type: /tmp/x"),
        ("1|1|tcp|127.0.0.1|grpc|", "address 127.0.0.1: missing port in address"),
        ("1|1|tcp|a:b:1|grpc|", "address a:b:1: too many colons in address"),
        ("1|1|tcp|127.0.0.1:http2|grpc|", "address 127.0.0.1:http2: invalid port"),
        # protocol (a 4-field line means netrpc)
        ("1|1|tcp|:1234", 'Unsupported plugin protocol "netrpc". Supported: [grpc]'),
        ("1|1|unix|/p|netrpc|", 'Unsupported plugin protocol "netrpc". Supported: [grpc]'),
        ("1|1|unix|/p||", 'Unsupported plugin protocol "". Supported: [grpc]'),
        # server certificate (only fields longer than 50 chars are read)
        ("1|1|unix|/p|grpc|" + CERT_FIELD + "==", None),
        (
            "1|1|unix|/p|grpc|" + "!" * 60,
            "error parsing server cert: illegal base64 data at input byte 0",
        ),
        ("1|1|unix|/p|grpc|" + "A" * 64, "error parsing server cert: x509: malformed certificate"),
    ],
)
def test_parse_rejects_with_go_plugin_message(line: str, message: str | None) -> None:
    with pytest.raises(HandshakeError) as caught:
        parse_handshake_line(line, allowed_versions=[1, 2])
    if message is None:  # padded base64: Go fails at the first '='
        index = len(CERT_FIELD)
        message = f"error parsing server cert: illegal base64 data at input byte {index}"
    assert str(caught.value) == message


def test_unknown_network_loses_to_a_later_error() -> None:
    """Go records the address error and goes on; a protocol error overwrites it."""
    with pytest.raises(HandshakeError, match="Unsupported plugin protocol"):
        parse_handshake_line("1|1|udp|/p|netrpc|", allowed_versions=[1])


def test_parse_decodes_an_automtls_certificate() -> None:
    parsed = parse_handshake_line(f"1|1|unix|/p|grpc|{CERT_FIELD}", allowed_versions=[1])
    assert parsed.server_cert_der == CERT_DER


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "1|1|tcp|:1234|grpc|",
            f"{MUX_NOT_SUPPORTED_MESSAGE}; for Go plugins, you will need to update the "
            "github.com/hashicorp/go-plugin dependency and recompile",
        ),
        ("1|1|tcp|:1234|grpc||false", MUX_NOT_SUPPORTED_MESSAGE),
        ("1|1|tcp|:1234|grpc||0", MUX_NOT_SUPPORTED_MESSAGE),
        (
            "1|1|tcp|:1234|grpc||yes",
            'error parsing "yes" as a boolean for gRPC broker multiplexing support',
        ),
    ],
)
def test_mux_request_refusals(line: str, message: str) -> None:
    with pytest.raises(HandshakeError) as caught:
        parse_handshake_line(line, allowed_versions=[1], request_mux=True)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_mux_request_accepted(value: str) -> None:
    parsed = parse_handshake_line(
        f"1|1|tcp|:1234|grpc||{value}", allowed_versions=[1], request_mux=True
    )
    assert parsed.mux_supported is True


@pytest.mark.parametrize(
    ("text", "result"),
    [("0", 0), ("+7", 7), ("-7", -7), ("007", 7), ("9223372036854775807", 2**63 - 1)],
)
def test_go_atoi_accepts(text: str, result: int) -> None:
    assert go.atoi(text) == result


@pytest.mark.parametrize(
    "text", ["", "+", "-", " 1", "1 ", "1_000", "0x10", "\u0661", "9223372036854775808"]
)
def test_go_atoi_rejects(text: str) -> None:
    with pytest.raises(go.GoSyntaxError):
        go.atoi(text)


def test_go_quote() -> None:
    assert go.quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'
