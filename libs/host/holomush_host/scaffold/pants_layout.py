"""Where a new plugin sits in the Pants repository around it, if there is one."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

__all__ = ["PantsLocation", "locate_in_pants_repo"]

_PANTS_CONFIG = "pants.toml"


@dataclass(frozen=True)
class PantsLocation:
    build_path: str
    """The plugin directory relative to the build root (or a best guess outside a repo)."""
    build_root: Path | None
    """The directory holding pants.toml; None when the plugin is not inside a Pants repo."""
    source_root_declared: bool
    """True when a ``[source] root_patterns`` entry covers the plugin directory."""


def locate_in_pants_repo(plugin_dir: Path) -> PantsLocation:
    """Find the build root above ``plugin_dir`` (which need not exist yet)."""
    plugin_dir = plugin_dir.absolute()
    for candidate in plugin_dir.parents:
        config = candidate / _PANTS_CONFIG
        if config.is_file():
            relative = PurePosixPath(plugin_dir.relative_to(candidate).as_posix())
            return PantsLocation(str(relative), candidate, _is_source_root(config, relative))
    return PantsLocation(f"{plugin_dir.parent.name}/{plugin_dir.name}", None, False)


def _is_source_root(config: Path, relative: PurePosixPath) -> bool:
    try:
        settings = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    source = settings.get("source", {})
    patterns = source.get("root_patterns", []) if isinstance(source, dict) else []
    if isinstance(patterns, dict):  # `root_patterns.add = [...]`
        patterns = patterns.get("add", [])
    if not isinstance(patterns, list):
        return False
    return any(isinstance(p, str) and _matches(p, relative.parts) for p in patterns)


def _matches(pattern: str, parts: tuple[str, ...]) -> bool:
    """Pants' root pattern rule: ``/a/*`` is anchored at the build root, ``a/b`` matches
    at any depth; ``*`` stands for one path component."""
    wanted = [part for part in pattern.split("/") if part]
    if not wanted or len(wanted) > len(parts):
        return False
    if pattern.startswith("/") and len(wanted) != len(parts):
        return False
    tail = parts[len(parts) - len(wanted) :]
    return all(fnmatchcase(have, want) for have, want in zip(tail, wanted, strict=True))
