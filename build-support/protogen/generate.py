"""Generate the Python protobuf/gRPC modules and typed stubs for every proto/**/*.proto.

Usage (from anywhere inside the repository):

    generate.py [--root DIR]          regenerate proto/ in place (also removes stale outputs)
    generate.py [--root DIR] --check  exit 1 and list every stale file, exit 0 when up to date

Everything is produced into a temporary directory first and then compared with (or synced
into) proto/, so a failed protoc run never leaves half-written files behind. Output is
deterministic: it depends only on the .proto files and the locked grpcio-tools and
mypy-protobuf versions.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grpc_tools import protoc

PROTO_DIR_NAME = "proto"
ROOT_MARKERS = ("pants.toml", PROTO_DIR_NAME)
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
# protoc plugin name -> console script of mypy-protobuf that implements it.
MYPY_PLUGINS = {"mypy": "protoc-gen-mypy", "mypy_grpc": "protoc-gen-mypy_grpc"}


class GenerationError(Exception):
    """A problem the user must fix; reported as one line without a traceback."""


@dataclass(frozen=True)
class SyncReport:
    written: list[str]
    removed: list[str]
    unchanged: int


def find_root(start: Path) -> Path:
    """Return the nearest directory at or above `start` holding pants.toml or proto/."""
    for candidate in (start, *start.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    raise GenerationError(
        f"no repository root (a directory with pants.toml or proto/) above {start}"
    )


def is_generated(relative_path: str) -> bool:
    """True for files this generator owns inside proto/."""
    name = relative_path.rsplit("/", 1)[-1]
    return name == "__init__.py" or name.endswith(GENERATED_SUFFIXES)


def list_protos(proto_dir: Path) -> list[str]:
    protos = sorted(path.relative_to(proto_dir).as_posix() for path in proto_dir.rglob("*.proto"))
    if not protos:
        raise GenerationError(f"no .proto files under {proto_dir}")
    return protos


def well_known_protos_dir() -> Path:
    """grpc_tools ships google/protobuf/*.proto (Timestamp, FieldMask, Empty...) in _proto/."""
    bundled = Path(str(importlib.resources.files("grpc_tools") / "_proto"))
    if not (bundled / "google" / "protobuf" / "empty.proto").is_file():
        raise GenerationError(f"grpc_tools' bundled well-known protos are missing at {bundled}")
    return bundled


def write_plugin_wrappers(directory: Path) -> dict[str, Path]:
    """Create executables that run mypy-protobuf's plugins with this very interpreter.

    Inside a PEX the console scripts are not on PATH, so each wrapper starts sys.executable
    with PYTHONPATH set to our own sys.path and calls the console script's entry point.
    """
    python_path = os.pathsep.join(entry for entry in sys.path if entry)
    wrappers: dict[str, Path] = {}
    for plugin, script in MYPY_PLUGINS.items():
        matches = importlib.metadata.entry_points(group="console_scripts", name=script)
        entry_point = next(iter(matches), None)
        if entry_point is None:
            raise GenerationError(f"mypy-protobuf is not installed (no console script {script})")
        code = f"import sys; from {entry_point.module} import {entry_point.attr} as run; sys.exit(run())"
        wrapper = directory / script
        wrapper.write_text(
            "#!/bin/sh\n"
            f"PYTHONPATH={shlex.quote(python_path)} "
            f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}\n",
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        wrappers[plugin] = wrapper
    return wrappers


def add_package_markers(out_dir: Path) -> None:
    """Give every directory that holds generated modules (and its parents) an __init__.py."""
    for module in list(out_dir.rglob("*.py")):
        directory = module.parent
        while directory != out_dir:
            (directory / "__init__.py").touch()
            directory = directory.parent


def generate_into(proto_dir: Path, out_dir: Path) -> dict[str, bytes]:
    """Compile every proto under `proto_dir` into `out_dir`; return {relative path: content}."""
    protos = list_protos(proto_dir)
    with tempfile.TemporaryDirectory(prefix="protogen-plugins-") as plugin_dir:
        wrappers = write_plugin_wrappers(Path(plugin_dir))
        args = [
            "grpc_tools.protoc",
            f"--proto_path={proto_dir}",
            f"--proto_path={well_known_protos_dir()}",
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            *(f"--plugin=protoc-gen-{plugin}={path}" for plugin, path in wrappers.items()),
            *(f"--{plugin}_out={out_dir}" for plugin in wrappers),
            # "quiet" silences mypy-protobuf's "Writing mypy to ..." lines on stderr.
            *(f"--{plugin}_opt=quiet" for plugin in wrappers),
            *protos,
        ]
        if protoc.main(args) != 0:
            raise GenerationError("protoc failed (see the messages above)")
    add_package_markers(out_dir)
    return {
        path.relative_to(out_dir).as_posix(): path.read_bytes()
        for path in sorted(out_dir.rglob("*"))
        if path.is_file()
    }


def committed_outputs(proto_dir: Path) -> dict[str, bytes]:
    """The generated files currently present in proto/."""
    found: dict[str, bytes] = {}
    for path in sorted(proto_dir.rglob("*")):
        relative = path.relative_to(proto_dir).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and is_generated(relative):
            found[relative] = path.read_bytes()
    return found


def stale_files(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """Paths that are missing, different, or generated leftovers that should not exist."""
    return sorted(
        path for path in expected.keys() | actual.keys() if expected.get(path) != actual.get(path)
    )


def sync(proto_dir: Path, expected: dict[str, bytes]) -> SyncReport:
    actual = committed_outputs(proto_dir)
    written, removed = [], []
    for path in stale_files(expected, actual):
        target = proto_dir / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[path])
            written.append(path)
        else:
            target.unlink()
            removed.append(path)
    return SyncReport(written, removed, unchanged=len(expected) - len(written))


def run(root: Path, check: bool) -> int:
    proto_dir = root / PROTO_DIR_NAME
    if not proto_dir.is_dir():
        raise GenerationError(f"{proto_dir} is not a directory")
    with tempfile.TemporaryDirectory(prefix="protogen-out-") as out:
        expected = generate_into(proto_dir, Path(out))
    if check:
        stale = stale_files(expected, committed_outputs(proto_dir))
        for path in stale:
            print(f"stale: {PROTO_DIR_NAME}/{path}")
        if stale:
            print(f"protogen: {len(stale)} generated file(s) out of date; run the generator")
            return 1
        print(f"protogen: OK, {len(expected)} generated files are up to date")
        return 0
    report = sync(proto_dir, expected)
    for path in report.written:
        print(f"wrote: {PROTO_DIR_NAME}/{path}")
    for path in report.removed:
        print(f"removed: {PROTO_DIR_NAME}/{path}")
    print(
        f"protogen: {len(report.written)} written, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged"
    )
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="protogen", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        help="repository root holding proto/ (default: nearest parent with pants.toml or proto/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 listing generated files that are out of date",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        root = args.root.resolve() if args.root else find_root(Path.cwd())
        return run(root, args.check)
    except (GenerationError, OSError) as error:
        print(f"protogen: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
