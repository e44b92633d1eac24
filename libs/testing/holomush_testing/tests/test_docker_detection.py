"""Docker detection answers from the socket it is pointed at, without hanging."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from holomush_testing.postgres import docker_engine_available


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # unix socket paths must stay short; pytest's tmp_path can be too long.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hm-dock-") as directory:
        yield Path(directory)


def _serve_once(path: Path, reply: Callable[[socket.socket], None]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run() -> None:
        with server:
            conn, _ = server.accept()
            with conn:
                reply(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_no_socket_means_no_docker(monkeypatch: pytest.MonkeyPatch, short_tmp: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{short_tmp / 'missing.sock'}")

    assert docker_engine_available() is False


def test_an_engine_that_answers_the_ping_is_detected(
    monkeypatch: pytest.MonkeyPatch, short_tmp: Path
) -> None:
    path = short_tmp / "docker.sock"

    def answer(conn: socket.socket) -> None:
        request = conn.recv(1024)
        assert request.startswith(b"GET /_ping ")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    thread = _serve_once(path, answer)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")

    assert docker_engine_available() is True
    thread.join(timeout=5)


def test_a_socket_that_says_something_else_is_not_docker(
    monkeypatch: pytest.MonkeyPatch, short_tmp: Path
) -> None:
    path = short_tmp / "other.sock"
    thread = _serve_once(path, lambda conn: conn.sendall(b"SSH-2.0-OpenSSH\r\n"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")

    assert docker_engine_available() is False
    thread.join(timeout=5)


def test_a_silent_socket_gives_up_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch, short_tmp: Path
) -> None:
    path = short_tmp / "silent.sock"
    release = threading.Event()

    def stay_silent(conn: socket.socket) -> None:
        release.wait(5)

    thread = _serve_once(path, stay_silent)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")

    try:
        assert docker_engine_available(timeout=0.1) is False
    finally:
        release.set()
        thread.join(timeout=5)


def test_a_refused_tcp_endpoint_is_not_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{port}")

    assert docker_engine_available() is False
