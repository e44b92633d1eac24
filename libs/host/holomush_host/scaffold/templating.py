"""The template files shipped in this package, and how generated imports are laid out."""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from string import Template

__all__ = ["import_block", "imported_module", "render_template"]


def render_template(name: str, values: Mapping[str, str]) -> str:
    """``templates/<name>`` with its ``${...}`` placeholders filled in (all are required).

    Read through `importlib.resources`, so it works from inside the host's PEX too.
    """
    resource = importlib.resources.files("holomush_host.scaffold") / "templates" / name
    return Template(resource.read_text(encoding="utf-8")).substitute(values)


def imported_module(line: str) -> str:
    """``"from a.b import c"`` → ``"a.b"``."""
    return line.split()[1]


def import_block(*lines: str) -> str:
    """``from`` imports of one section, in the order ruff's isort wants them."""
    return "".join(line + "\n" for line in sorted(lines, key=imported_module))
