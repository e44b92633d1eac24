"""Hostile handshake lines (hypothesis): whatever a plugin prints as its first line, the host's
parser either accepts it or raises `HandshakeError` with a one-line-per-cause go-plugin
message; any line the plugin side formats parses back to what was formatted."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holomush_sdk.goplugin.handshake import (
    HandshakeError,
    format_handshake_line,
    parse_handshake_line,
)

ALLOWED_VERSIONS = (1, 2)

# Pieces a hostile or broken plugin might print, joined with '|' in any order and number.
_FIELD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "2", "0", "-1", "+1", "01", "1_0", "9" * 30, " 1", "0x1"]),
    st.sampled_from(["unix", "tcp", "udp", "", "UNIX"]),
    st.sampled_from(["/tmp/plugin.sock", "127.0.0.1:1234", "[::1]:80", "host:", ":", "a:b:c"]),
    st.sampled_from(["grpc", "netrpc", "GRPC", ""]),
    st.text(alphabet=string.ascii_letters + string.digits + "+/=", max_size=400),
    st.sampled_from(["true", "false", "T", "0", "yes"]),
)
_LINES = st.one_of(
    st.text(max_size=300),
    st.lists(_FIELD, max_size=9).map("|".join),
    st.lists(_FIELD, min_size=4, max_size=8).map(lambda f: "|".join(["1", "1", *f[2:]])),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=_LINES, request_mux=st.booleans())
def test_any_line_is_accepted_or_refused_with_a_handshake_error(
    line: str, request_mux: bool
) -> None:
    refusal: str | None = None
    try:
        parsed = parse_handshake_line(
            line, allowed_versions=ALLOWED_VERSIONS, request_mux=request_mux
        )
    except HandshakeError as err:
        refusal = str(err)
    if refusal is not None:
        assert refusal.strip(), line
        assert "Traceback" not in refusal
        return
    assert parsed.core_version == 1
    assert parsed.app_version in ALLOWED_VERSIONS
    assert parsed.protocol == "grpc"
    assert parsed.network in ("unix", "tcp")


_ADDRESS = st.text(
    alphabet=st.characters(exclude_characters="|\r\n\x00", exclude_categories=["Cs"]),
    min_size=1,
    max_size=60,
).map(lambda tail: "/tmp/" + tail.strip().replace(" ", "_"))


@settings(max_examples=200, deadline=None)
@given(
    app_version=st.sampled_from(ALLOWED_VERSIONS),
    address=_ADDRESS,
    cert=st.one_of(st.none(), st.binary(min_size=1, max_size=8)),
    mux=st.one_of(st.none(), st.booleans()),
)
def test_what_the_plugin_formats_the_host_parses_back(
    app_version: int, address: str, cert: bytes | None, mux: bool | None
) -> None:
    line = format_handshake_line(
        app_version=app_version, network="unix", address=address, mux_supported=mux
    )
    assert line.endswith("\n")
    assert line.count("\n") == 1
    parsed = parse_handshake_line(line, allowed_versions=ALLOWED_VERSIONS)
    assert (parsed.app_version, parsed.network, parsed.address) == (app_version, "unix", address)
    assert parsed.mux_supported == mux
    assert parsed.server_cert_der is None
