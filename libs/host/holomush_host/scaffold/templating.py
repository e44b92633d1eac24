"""The template files shipped in this package, and how generated imports are laid out."""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from string import Template

__all__ = ["LAUNCHER", "import_block", "imported_module", "read_template", "render_template"]

# The bundle launcher (build-support/plugin-launcher), copied verbatim into every new plugin.
LAUNCHER = "plugin/launch.sh"


def read_template(name: str) -> str:
    """``templates/<name>`` as it is; read through `importlib.resources`, so it works from
    inside the host's PEX too."""
    resource = importlib.resources.files("holomush_host.scaffold") / "templates" / name
    return resource.read_text(encoding="utf-8")


def render_template(name: str, values: Mapping[str, str]) -> str:
    """``templates/<name>`` with its ``${...}`` placeholders filled in (all are required)."""
    return Template(read_template(name)).substitute(values)


def imported_module(line: str) -> str:
    """``"from a.b import c"`` → ``"a.b"``."""
    return line.split()[1]


def import_block(*lines: str) -> str:
    """``from`` imports of one section, in the order ruff's isort wants them."""
    return "".join(line + "\n" for line in sorted(lines, key=imported_module))
