"""Plugins directories for the suite: the real echo-bot and core-scenes (their own
manifests, run from source) and the suite's no-op plugin."""

from __future__ import annotations

from pathlib import Path

import yaml

from suite.noop_plugin import MANIFEST as NOOP_MANIFEST
from suite.processes import write_launcher

__all__ = ["add_core_scenes", "add_echo_bot", "add_noop", "repo_file"]


def repo_file(relative: str) -> Path:
    """A file of the repository: under the working directory (``./pants run`` runs at the
    repo root; a test sandbox holds the file targets) or above this file (a checkout)."""
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = base / relative
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{relative} (looked under {Path.cwd()} and above {__file__})")


def _add(plugins_dir: Path, manifest_text: str, module: str) -> Path:
    manifest = yaml.safe_load(manifest_text)
    plugin_dir = plugins_dir / str(manifest["name"])
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "plugin.yaml").write_text(manifest_text)
    write_launcher(plugin_dir / str(manifest["binary-plugin"]["executable"]), module)
    return plugin_dir


def add_echo_bot(plugins_dir: Path) -> Path:
    return _add(plugins_dir, repo_file("plugins/echo_bot/plugin.yaml").read_text(), "echo_bot.main")


def add_core_scenes(plugins_dir: Path) -> Path:
    text = repo_file("plugins/core_scenes/plugin.yaml").read_text()
    return _add(plugins_dir, text, "core_scenes.main")


def add_noop(plugins_dir: Path) -> Path:
    return _add(plugins_dir, NOOP_MANIFEST, "suite.noop_plugin")
