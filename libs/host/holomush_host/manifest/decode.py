"""Shape checks: turn loosely typed YAML values into typed ones, recording each mismatch.

Each reader returns ``None`` (or an empty value) when the input has the wrong shape and
records a :class:`ManifestProblem` naming the field, so a manifest with many mistakes is
reported in one go.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from holomush_host.manifest.errors import ManifestProblem, go_quote


def describe(value: object) -> str:
    """A short name for a YAML value's kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def join_path(parent: str, child: str | int) -> str:
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else child


class FieldReader:
    """Collects problems while reading typed values out of parsed YAML."""

    def __init__(self) -> None:
        self.problems: list[ManifestProblem] = []

    def problem(
        self, path: str, message: str, *, code: str | None = None, hint: str | None = None
    ) -> None:
        self.problems.append(ManifestProblem(path, message, code, hint))

    def _wrong_kind(self, path: str, expected: str, value: object) -> None:
        hint = None
        if (
            expected == "a string"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            hint = "quote the value to make it a string"
        self.problem(path, f"{path} must be {expected}, not {describe(value)}", hint=hint)

    def text(self, path: str, value: object) -> str | None:
        if isinstance(value, str):
            return value
        self._wrong_kind(path, "a string", value)
        return None

    def optional_text(self, path: str, value: object) -> str:
        """A string that may be left out (``null`` counts as left out)."""
        if value is None:
            return ""
        return self.text(path, value) or ""

    def boolean(self, path: str, value: object) -> bool | None:
        if isinstance(value, bool):
            return value
        self._wrong_kind(path, "true or false", value)
        return None

    def integer(self, path: str, value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self._wrong_kind(path, "an integer", value)
        return None

    def sequence(self, path: str, value: object) -> list[object]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self._wrong_kind(path, "a list", value)
        return []

    def text_list(self, path: str, value: object) -> tuple[str, ...]:
        items: list[str] = []
        for index, item in enumerate(self.sequence(path, value)):
            text = self.text(join_path(path, index), item)
            if text is not None:
                items.append(text)
        return tuple(items)

    def mapping(self, path: str, value: object, known: Collection[str]) -> dict[str, object] | None:
        """A mapping with string keys drawn from ``known``; unknown keys are problems."""
        if not isinstance(value, dict):
            self._wrong_kind(path or "manifest", "a mapping", value)
            return None
        result: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, not {describe(key)} {key!r}")
                continue
            if key not in known:
                self.unknown_key(join_path(path, key), key, known)
                continue
            result[key] = item
        return result

    def string_mapping(self, path: str, value: object) -> dict[str, str]:
        """A mapping of arbitrary string keys to string values (``dependencies``)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._wrong_kind(path, "a mapping", value)
            return {}
        result: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, not {describe(key)} {key!r}")
                continue
            text = self.text(join_path(path, key), item)
            if text is not None:
                result[key] = text
        return result

    def unknown_key(self, path: str, key: str, known: Collection[str]) -> None:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"did you mean {go_quote(close[0])}?" if close else None
        self.problem(path, f"unknown field {go_quote(key)}", hint=hint)
