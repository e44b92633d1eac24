"""Shared test helpers: the reference manifests, and small manifests to vary."""

from __future__ import annotations

from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"
CORE_SCENES_MANIFEST = DATA_DIR / "core-scenes.plugin.yaml"
ECHO_BOT_MANIFEST = DATA_DIR / "echo-bot.plugin.yaml"
ECHO_BOT_LUA_MANIFEST = DATA_DIR / "echo-bot-lua.plugin.yaml"


def minimal(**fields: object) -> dict[str, object]:
    """A valid binary manifest as a dict; ``fields`` override or add keys (None removes)."""
    document: dict[str, object] = {
        "name": "demo",
        "version": "1.0.0",
        "type": "binary",
        "binary-plugin": {"executable": "demo"},
    }
    for key, value in fields.items():
        key = key.replace("_dash_", "-")
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


def dump(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def write_plugin(
    plugins_dir: Path,
    directory: str,
    manifest_text: str,
    *,
    executable: str | None = None,
    mode: int = 0o755,
) -> Path:
    """Create ``plugins_dir/directory`` with a manifest and, optionally, an executable."""
    plugin_dir = plugins_dir / directory
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "plugin.yaml").write_text(manifest_text)
    if executable is not None:
        target = plugin_dir / executable
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\nexit 0\n")
        target.chmod(mode)
    return plugin_dir
