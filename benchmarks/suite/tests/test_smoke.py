"""The suite end to end in its tiny mode: real plugins, real host, real PostgreSQL, a few
iterations per row. Asserts the table is complete and well formed, not how fast anything is."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from suite.processes import child_env, module_argv
from suite.table import Row, Verdict, render_table

EXPECTED_ROWS = (
    *("1a", "1b", "2a", "2b", "3", "4a", "4b", "5"),
    *("6a", "6b", "6c", "6d", "6e", "6f", "6g"),
    *("7a", "7b", "7c", "7d"),
)
ROWS_WITH_TARGETS = (
    *("2a", "2b", "4a", "4b", "6a", "6b", "6c", "6d", "6e", "6f", "6g", "7b", "7c", "7d"),
)
# Where runtime_package_dependencies put the bundles (the sandbox's working directory).
BUNDLES = ("core-scenes.tar.gz", "echo-bot.tar.gz")
_ROW = re.compile(r"^\| (?P<number>\w+) \| (?P<cells>.*) \|$", re.M)


def _bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m suite.bench ARGS``, as ``./pants run benchmarks/suite:bench`` runs it."""
    return subprocess.run(
        module_argv("suite.bench", *args),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_tiny_run_prints_and_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "benchmarks.md"
    bundle_args = [arg for bundle in BUNDLES for arg in ("--bundle", bundle)]
    run = _bench("--tiny", "--out", str(out), *bundle_args, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    written = out.read_text()
    assert written == run.stdout
    rows = {m["number"]: m["cells"].split(" | ") for m in _ROW.finditer(written)}
    assert tuple(rows) == EXPECTED_ROWS
    for number, cells in rows.items():
        measurement, result, target, verdict = cells
        assert measurement, number
        assert result, number
        if number in ROWS_WITH_TARGETS:
            assert target != "—", number
            assert verdict in ("PASS", "MISS"), (number, cells)
        else:
            assert verdict == "—", (number, cells)
    assert "core-scenes (bundle)" in rows["6f"][0]
    assert "echo-bot (bundle)" in rows["6g"][0]
    assert "Mode: tiny" in written
    assert "load average" in written


def test_bad_flags_are_refused_before_anything_runs(tmp_path: Path) -> None:
    out = tmp_path / "never.md"
    run = _bench("--delivery-seconds", "0", "--out", str(out), timeout=60)
    assert run.returncode == 2
    assert "--delivery-seconds must be positive" in run.stderr
    run = _bench("--bundle", str(tmp_path / "none.tar.gz"), "--out", str(out), timeout=60)
    assert run.returncode == 2
    assert f"--bundle {tmp_path / 'none.tar.gz'}: no such file" in run.stderr
    assert not out.exists()


def test_cells_cannot_break_the_table() -> None:
    table = render_table([Row("1", "a | b", "two\nlines", "t", Verdict.PASS)])
    assert table.splitlines()[-1] == "| 1 | a \\| b | two lines | t | PASS |"
