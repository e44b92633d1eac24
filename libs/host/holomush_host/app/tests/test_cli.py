"""`holomush` on the command line: settings, errors, plugin checks, and `serve` as a real
process stopped by a signal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from holomush_host.app.tests.helpers import add_echo_bot, add_gadgets, add_plugin, python_path
from holomush_host.cli import build_parser, config_from_args, main
from holomush_host.gateway import texts
from holomush_host.gateway.tests.client import TelnetTestClient

DSN = "postgresql://holomush:secret@db.example:5432/holomush"


def config(argv: list[str], env: dict[str, str] | None = None):
    return config_from_args(build_parser().parse_args(["serve", *argv]), env or {})


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    env = {
        "HOLOMUSH_DATABASE_URL": "postgres://env@h/db",
        "HOLOMUSH_TELNET_PORT": "5000",
        "HOLOMUSH_GRPC_PORT": "5001",
        "HOLOMUSH_PLUGINS_DIR": str(tmp_path / "env-plugins"),
        "HOLOMUSH_DATA_DIR": str(tmp_path / "env-data"),
        "HOLOMUSH_SESSION_TTL": "120",
    }
    from_env = config([], env)
    assert from_env.session_ttl_seconds == 120
    assert (from_env.database_url, from_env.telnet_port, from_env.grpc_port) == (
        "postgres://env@h/db",
        5000,
        5001,
    )
    assert from_env.plugins_dir == tmp_path / "env-plugins"
    assert from_env.data_dir == tmp_path / "env-data"
    argv = ["--database-url", DSN, "--telnet-port", "0", "--grpc-port", "7000"]
    argv += ["--plugins-dir", str(tmp_path), "--data-dir", str(tmp_path), "--insecure-plugins"]
    argv += ["--session-ttl", "3600"]
    from_flags = config(argv, env)
    assert from_flags.session_ttl_seconds == 3600
    assert (from_flags.database_url, from_flags.telnet_port, from_flags.grpc_port) == (DSN, 0, 7000)
    assert from_flags.plugins_dir == from_flags.data_dir == tmp_path
    assert from_flags.insecure_plugins


def test_defaults() -> None:
    defaults = config([])
    assert defaults.database_url is None  # embedded PostgreSQL
    assert (defaults.telnet_port, defaults.grpc_port) == (4201, 9000)
    assert defaults.plugins_dir == Path("plugins")
    assert defaults.session_ttl_seconds == 600
    assert not defaults.insecure_plugins


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--telnet-port", "70000"],
            {},
            "--telnet-port must be a port number from 0 to 65535, not '70000'",
        ),
        (["--grpc-port", "-1"], {}, "--grpc-port must be a port number"),
        (
            [],
            {"HOLOMUSH_GRPC_PORT": "abc"},
            "environment variable HOLOMUSH_GRPC_PORT must be a port number",
        ),
        (["--database-url", "mysql://x/y"], {}, "--database-url must be a PostgreSQL URL"),
        (
            [],
            {"HOLOMUSH_DATABASE_URL": "postgresql://h/db?port=x=y"},
            "HOLOMUSH_DATABASE_URL is not a valid PostgreSQL URL",
        ),
        (["--plugins-dir", ""], {}, "--plugins-dir must not be empty"),
        (
            ["--session-ttl", "0"],
            {},
            "--session-ttl must be a number of seconds from 1 to 2592000, not '0'",
        ),
        (
            [],
            {"HOLOMUSH_SESSION_TTL": "10m"},
            "environment variable HOLOMUSH_SESSION_TTL must be a number of seconds",
        ),
        (["--data-dir", "/etc/hostname"], {}, "--data-dir '/etc/hostname' is not a directory"),
    ],
)
def test_bad_values_are_named_and_nothing_starts(
    argv: list[str], env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *argv], env) == 2
    assert message in capsys.readouterr().err


def test_unknown_flags_and_missing_commands_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--telnet"], {})
    assert caught.value.code == 2
    assert main([], {}) == 2
    assert "serve" in capsys.readouterr().err


BROKEN = "name: Bad_Name\nversion: 1.0\ntype: binary\nbinary-plugin: {executable: x}\n"
FOREIGN = """\
name: sneaky
version: 1.0.0
type: binary
binary-plugin: {executable: sneaky}
commands: [{name: peek}]
policies:
  - name: grab
    dsl: >-
      permit(principal is character, action in ["execute"], resource is command)
      when { resource.command.name == "scene" };
"""


def test_validate_reports_what_the_loader_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_echo_bot(tmp_path)
    add_gadgets(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "plugin.yaml").write_text(BROKEN)
    add_plugin(tmp_path, "sneaky", FOREIGN, "echo_bot.main")
    assert main(["plugins", "validate", str(tmp_path)], {}) == 1
    out = capsys.readouterr().out
    assert "echo-bot 1.0.0: ok" in out
    assert "gadgets 1.0.0: ok" in out
    assert "bad: invalid" in out
    assert "invalid plugin manifest" in out
    assert "sneaky 1.0.0: invalid" in out
    assert 'policy references foreign command "scene"' in out

    assert main(["plugins", "validate", str(tmp_path / "echo-bot")], {}) == 0
    assert capsys.readouterr().out.strip() == "echo-bot 1.0.0: ok"

    assert main(["plugins", "validate", str(tmp_path / "nowhere")], {}) == 2
    assert "does not exist" in capsys.readouterr().err


def test_list_shows_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_echo_bot(tmp_path)
    add_gadgets(tmp_path)
    assert main(["plugins", "list", "--plugins-dir", str(tmp_path)], {}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"NAME\s+VERSION\s+TYPE\s+STATUS\s+COMMANDS\s+PROVIDES", lines[0])
    assert re.match(r"echo-bot\s+1\.0\.0\s+binary\s+ok\s+-\s+-", lines[1])
    assert re.match(r"gadgets\s+1\.0\.0\s+binary\s+ok\s+gadget, sweep, secret\s+-", lines[2])


# -- `holomush serve` as a process ----------------------------------------------------------


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEX_", "HOLOMUSH_"))}
    env["PYTHONPATH"] = python_path()
    return env


@dataclass
class ServeProcess:
    process: asyncio.subprocess.Process
    stderr_file: Path

    async def read_until(self, pattern: str, timeout: float = 120) -> re.Match[str]:  # noqa: ASYNC109
        """Read stdout lines until ``pattern`` matches; on failure show what the host logged."""
        assert self.process.stdout is not None
        seen = ""
        try:
            async with asyncio.timeout(timeout):
                while line := await self.process.stdout.readline():
                    seen += line.decode()
                    if match := re.search(pattern, seen, re.MULTILINE):
                        return match
            problem = "stdout ended"
        except TimeoutError:
            problem = f"timed out after {timeout}s"
        logged = self.stderr_file.read_text(errors="replace")[-4000:]
        raise AssertionError(f"{problem} before {pattern!r}\nstdout: {seen}\nstderr: {logged}")


@pytest_asyncio.fixture
async def serve(postgres_dsn: str, tmp_path: Path) -> AsyncIterator[ServeProcess]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    add_echo_bot(plugins)
    stderr_file = tmp_path / "serve.err"
    with stderr_file.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "holomush_host.cli",
            "serve",
            "--database-url",
            postgres_dsn,
            "--plugins-dir",
            str(plugins),
            "--data-dir",
            str(tmp_path / "data"),
            "--telnet-port",
            "0",
            "--grpc-port",
            "0",
            env=child_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    try:
        yield ServeProcess(process, stderr_file)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_runs_until_sigterm(serve: ServeProcess) -> None:
    await serve.read_until(r"^echo-bot\s+1\.0\.0\s+running")
    port = int((await serve.read_until(r"^Telnet:\s+0\.0\.0\.0:(\d+)$"))[1])
    await serve.read_until(r"^Database: PostgreSQL at --database-url$")
    async with await TelnetTestClient.connect(port) as client:
        name = await client.login()
        await client.line("say are you there?")
        await client.expect(rf'^{name} says, "are you there\?"\r\n')
        await client.expect(r'^echo-bot says, "Echo: are you there\?"\r\n')
        serve.process.send_signal(signal.SIGTERM)
        assert texts.SHUTTING_DOWN in await client.expect_closed(timeout=60)
    await serve.read_until(r"^Stopped\.$")
    assert await asyncio.wait_for(serve.process.wait(), 60) == 0


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield sock.getsockname()[1]


async def test_serve_reports_a_taken_port(
    postgres_dsn: str, tmp_path: Path, taken_port: int
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "holomush_host.cli",
        "serve",
        "--database-url",
        postgres_dsn,
        "--plugins-dir",
        str(tmp_path),
        "--telnet-port",
        str(taken_port),
        "--grpc-port",
        "0",
        env=child_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 1
    assert f"holomush: cannot listen for telnet on 0.0.0.0:{taken_port}" in err.decode()
    assert "Traceback" not in err.decode()


def test_insecure_plugins_warn_loudly_and_a_dead_database_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--insecure-plugins", "--plugins-dir", str(tmp_path)]
    argv += ["--database-url", "postgresql://nobody@127.0.0.1:1/nothing", "--telnet-port", "0"]
    assert main(argv, {}) == 1
    err = capsys.readouterr().err
    assert "WARNING: --insecure-plugins: plugin connections are NOT encrypted" in err
    assert "holomush: could not open the host database:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("group", ["plugin", "plugins"])
def test_plugin_new_is_wired(
    group: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([group, "new", "hello-world", "--dir", str(tmp_path)], {}) == 0
    assert (tmp_path / "hello_world" / "plugin.yaml").is_file()
    assert "Created plugin hello-world" in capsys.readouterr().out
