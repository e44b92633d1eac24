"""``holomush plugin new``: the command-line face of `new_plugin`.

The host CLI wires it as a subcommand::

    new = plugin_commands.add_parser("new", help=PLUGIN_NEW_HELP)
    add_plugin_new_arguments(new)
    new.set_defaults(handler=run_plugin_new)   # later: return args.handler(args)

``python -m holomush_host.scaffold NAME ...`` runs the same thing on its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from holomush_host.scaffold.generate import new_plugin
from holomush_host.scaffold.naming import ScaffoldError
from holomush_host.scaffold.pants_layout import locate_in_pants_repo

__all__ = ["PLUGIN_NEW_HELP", "add_plugin_new_arguments", "main", "run_plugin_new"]

PLUGIN_NEW_HELP = "create a new binary plugin (manifest, package, tests, Pants BUILD)"
_PROG = "holomush plugin new"


def add_plugin_new_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", help="the plugin's name: a-z, 0-9 and single hyphens, e.g. hello-world"
    )
    parser.add_argument(
        "--storage",
        choices=("none", "postgres"),
        default="none",
        help="postgres: a schema of its own, a store and a first migration (default: none)",
    )
    parser.add_argument(
        "--provides",
        action="append",
        default=[],
        metavar="SERVICE",
        help="a gRPC service it provides, e.g. holomush.scene.v1.SceneService (repeatable)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("plugins"),
        help="where to create the plugin's directory (default: plugins)",
    )


def run_plugin_new(
    args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Create the plugin ``args`` describe; print what to do next. Returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        plugin_dir = new_plugin(
            args.name, args.dir, storage=args.storage, provides=tuple(args.provides)
        )
    except ScaffoldError as exc:
        print(f"{_PROG}: error: {exc}", file=err)
        return 1
    print(_next_steps(args.name, plugin_dir), file=out)
    return 0


def _next_steps(name: str, plugin_dir: Path) -> str:
    location = locate_in_pants_repo(plugin_dir)
    package = plugin_dir.name
    lines = [f"Created plugin {name} in {plugin_dir}", "Next:"]
    if location.build_root is None:
        lines.append(
            f"  - move it into your plugins repository (for example its plugins/{package})"
        )
    else:
        if not location.source_root_declared:
            lines.append(
                f'  - add "/{location.build_path}" to [source] root_patterns in '
                f"{location.build_root / 'pants.toml'}"
            )
        lines.append(f"  - ./pants test {location.build_path}::")
        lines.append(f"  - ./pants package {location.build_path}:bundle   (dist/{name}.tar.gz)")
    lines.append(f"  - write your commands in {plugin_dir / package / 'plugin.py'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=_PROG, description=PLUGIN_NEW_HELP)
    add_plugin_new_arguments(parser)
    return run_plugin_new(parser.parse_args(argv))
