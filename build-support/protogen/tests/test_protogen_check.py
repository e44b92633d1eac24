"""`generate.py --check` accepts the committed output and names every stale file.

Runs the real generator (protoc + mypy-protobuf plugins) on a temporary copy of proto/,
never on the repository's own files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GENERATE_PY = Path(__file__).resolve().parents[1] / "generate.py"


def _repo_proto_dir() -> Path:
    for directory in Path(__file__).resolve().parents:
        if (directory / "proto").is_dir():
            return directory / "proto"
    raise AssertionError("no proto/ directory above the test")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
    return subprocess.run(
        [sys.executable, str(GENERATE_PY), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        _repo_proto_dir(), tmp_path / "proto", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_check_passes_on_committed_output(repo_copy: Path) -> None:
    result = _run("--root", str(repo_copy), "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("protogen: OK")
    assert result.stderr == ""


def test_check_names_changed_missing_and_extra_files_then_generate_repairs(
    repo_copy: Path,
) -> None:
    proto = repo_copy / "proto"
    changed = proto / "holomush/scene/v1/scene_pb2.py"
    changed.write_text(changed.read_text() + "# edited by hand\n")
    missing = proto / "hashicorp/goplugin/grpc_stdio_pb2_grpc.pyi"
    missing.unlink()
    extra = proto / "holomush/plugin/v1/removed_pb2_grpc.py"
    extra.write_text("# left over from a deleted proto\n")
    hand_written = proto / "holomush/NOTES.md"
    hand_written.write_text("not generated, must be ignored\n")

    result = _run("--root", str(repo_copy), "--check")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[:-1] == [
        "stale: proto/hashicorp/goplugin/grpc_stdio_pb2_grpc.pyi",
        "stale: proto/holomush/plugin/v1/removed_pb2_grpc.py",
        "stale: proto/holomush/scene/v1/scene_pb2.py",
    ]
    assert changed.read_text().endswith("# edited by hand\n"), "--check must not write"

    # Without --check the generator repairs the tree; the root is found from the cwd.
    repaired = _run(cwd=proto / "holomush")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert not extra.exists()
    assert missing.exists()
    assert hand_written.exists()
    assert _run("--root", str(repo_copy), "--check").returncode == 0


def test_missing_proto_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("--root", str(tmp_path), "--check")
    assert result.returncode == 2
    assert result.stderr == f"protogen: error: {tmp_path / 'proto'} is not a directory\n"


def test_broken_proto_reports_protoc_error_and_writes_nothing(repo_copy: Path) -> None:
    proto = repo_copy / "proto"
    (proto / "holomush/broken.proto").write_text('syntax = "proto3";\nmessage Broken {\n')
    before = {path: path.stat().st_mtime_ns for path in proto.rglob("*") if path.is_file()}

    result = _run("--root", str(repo_copy))

    assert result.returncode == 2
    assert "holomush/broken.proto" in result.stderr
    assert result.stderr.endswith("protogen: error: protoc failed (see the messages above)\n")
    after = {path: path.stat().st_mtime_ns for path in proto.rglob("*") if path.is_file()}
    assert after == before
