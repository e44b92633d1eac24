"""Read the code samples and tables out of the SDK's README (libs/sdk/README.md).

A fenced block is a sample; the HTML comment on the line just above it says what it is:

* ``<!-- sample: plugins/x/x/main.py -->``: a file of the sample project at that path (the
  README's plugins, written to disk and run by the tests);
* ``<!-- sample: manifest -->`` / ``<!-- sample: manifest-fragment -->``: a whole manifest
  or a part of one, to load with the host's parser.

``pycon`` blocks need no marker: they are doctests. ``bash`` blocks are commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["README", "Block", "Table", "read_blocks", "read_tables", "write_sample_project"]

README = Path(__file__).resolve().parents[2] / "README.md"

_FENCE = re.compile(r"^```(?P<language>[\w-]*)\s*$")
_MARKER = re.compile(r"^<!-- sample: (?P<marker>\S+) -->$")
_HEADING = re.compile(r"^#{1,6} (?P<title>.+)$")


@dataclass(frozen=True)
class Block:
    language: str
    marker: str | None
    text: str
    line: int
    """1-based line of the opening fence, for messages."""
    section: str

    @property
    def path(self) -> PurePosixPath | None:
        """The sample-project path of a file sample."""
        if self.marker is None or "/" not in self.marker:
            return None
        return PurePosixPath(self.marker)

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.language} in {self.section!r})"


@dataclass(frozen=True)
class Table:
    section: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, index: int) -> list[str]:
        return [row[index] for row in self.rows]


def read_blocks(path: Path = README) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        if heading:
            section = heading["title"]
        fence = _FENCE.match(line)
        if fence is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"README.md:{index + 1}: unclosed code block")
        marker = _MARKER.match(lines[index - 1]) if index else None
        blocks.append(
            Block(
                language=fence["language"],
                marker=marker["marker"] if marker else None,
                text="".join(text + "\n" for text in lines[index + 1 : end]),
                line=index + 1,
                section=section,
            )
        )
        index = end + 1
    return blocks


def read_tables(path: Path = README) -> list[Table]:
    """Every Markdown table, with its cells stripped (backticks kept)."""
    tables: list[Table] = []
    section = ""
    rows: list[tuple[str, ...]] = []
    in_code = False
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("|"):
            rows.append(tuple(cell.strip() for cell in line.strip().strip("|").split("|")))
            continue
        if rows:
            tables.append(Table(section, rows[0], tuple(rows[2:])))
            rows = []
        heading = _HEADING.match(line)
        if heading and not in_code:
            section = heading["title"]
    return tables


def write_sample_project(blocks: list[Block], root: Path) -> list[Path]:
    """Write every file sample under ``root``; return the plugin directories.

    As the README says, each package directory needs an ``__init__.py``: an empty one is
    added wherever the samples have Python or SQL files and did not write one.
    """
    for block in blocks:
        if block.path is None:
            continue
        target = root.joinpath(*block.path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")
    plugins = sorted(path for path in (root / "plugins").iterdir() if path.is_dir())
    for plugin_dir in plugins:
        for directory in [d for d in plugin_dir.rglob("*") if d.is_dir()]:
            if any(f.suffix in {".py", ".sql"} for f in directory.iterdir()):
                (directory / "__init__.py").touch()
    return plugins
