"""Manifest problems and the error that carries all of them at once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass


def go_quote(value: str) -> str:
    """Quote ``value`` the way Go's ``%q`` does for the reference's messages."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong with a manifest.

    ``message`` is the reference's exact text where it has one; ``path`` names the field
    (``commands[0].aliases[1]``; empty for the document as a whole); ``hint`` adds what
    the person needs to fix it (the offending value, a suggestion).
    """

    path: str
    message: str
    code: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} ({self.hint})" if self.hint else text


class ManifestError(Exception):
    """A manifest (or a plugin directory) that cannot be used, with every problem found."""

    def __init__(self, source: str | None, problems: Iterable[ManifestProblem]) -> None:
        self.source = source
        self.problems: tuple[ManifestProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ManifestError needs at least one problem")
        super().__init__(self._render())

    @property
    def messages(self) -> tuple[str, ...]:
        """The bare messages, in the order found (handy for tests and logs)."""
        return tuple(problem.message for problem in self.problems)

    def _render(self) -> str:
        where = (
            f"invalid plugin manifest {self.source}" if self.source else "invalid plugin manifest"
        )
        if len(self.problems) == 1:
            return f"{where}: {self.problems[0]}"
        lines = [f"{where}: {len(self.problems)} problems:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)
