"""scene_ops_events is append-only: no production code updates or deletes its rows."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def production_sources() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*")
        if path.suffix in {".py", ".sql"}
        and "tests" not in path.relative_to(PACKAGE).parts
        and not path.name.endswith(".down.sql")
    ]


def test_no_code_updates_or_deletes_ops_events() -> None:
    sources = production_sources()
    assert any(path.name == "pg_store.py" for path in sources)
    forbidden = re.compile(r"update scene_ops_events|delete from scene_ops_events")
    offenders = [
        path.name
        for path in sources
        if forbidden.search(" ".join(path.read_text().lower().split()))
    ]
    assert offenders == []
