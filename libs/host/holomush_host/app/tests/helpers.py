"""Plugin directories for the host app's tests.

Each test plugin directory holds its ``plugin.yaml`` and the executable it names: a shell
script that execs ``python -m <module>`` with this interpreter and ``sys.path``, so the
host finds, checks and starts it exactly like a packaged plugin.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from holomush_host.dispatch.tests.helpers import repo_file
from holomush_host.manifest.parse import parse_manifest

GADGETS_MODULE = "holomush_host.app.tests.fixtures.gadget_plugin"
GADGETS_MANIFEST = """\
name: gadgets
version: 1.0.0
type: binary
emits: [location]
resource_types: [gadget]
actions: [use]
binary-plugin: {executable: gadgets}
commands:
  - name: gadget
    usage: "gadget <verb> [text]"
    help: Fiddle with gadgets
    capabilities: [{action: use, resource: gadget, scope: local}]
  - name: sweep
    usage: sweep
    help: Use every gadget at once
    capabilities: [{action: use, resource: gadget, scope: global}]
  - name: secret
    usage: secret
    help: Nobody may run this
policies:
  - name: run
    dsl: >-
      permit(principal is character, action in ["execute"], resource is command)
      when { resource.command.name in ["gadget", "sweep"] };
  - name: use-own
    dsl: >-
      permit(principal is character, action in ["use"], resource is gadget)
      when { resource.gadget.owner == principal.id };
"""


def python_path() -> str:
    """This process's ``sys.path`` as absolute paths: a plugin runs in its own directory."""
    return os.pathsep.join(os.path.abspath(p) for p in sys.path if p)


def write_launcher(path: Path, module: str) -> None:
    python_path_value = python_path()
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", module))
    path.write_text(
        f'#!/bin/sh\nexport PYTHONPATH={shlex.quote(python_path_value)}\nexec {command} "$@"\n'
    )
    path.chmod(0o755)


def add_plugin(plugins_dir: Path, directory: str, manifest_text: str, module: str) -> Path:
    plugin_dir = plugins_dir / directory
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "plugin.yaml").write_text(manifest_text)
    manifest = parse_manifest(manifest_text)
    assert manifest.binary_plugin is not None
    write_launcher(plugin_dir / manifest.binary_plugin.executable, module)
    return plugin_dir


def add_echo_bot(plugins_dir: Path) -> Path:
    """The real echo-bot: its own manifest, run from source."""
    text = repo_file("plugins/echo_bot/plugin.yaml").read_text()
    return add_plugin(plugins_dir, "echo-bot", text, "echo_bot.main")


def add_core_scenes(plugins_dir: Path) -> Path:
    text = repo_file("plugins/core_scenes/plugin.yaml").read_text()
    return add_plugin(plugins_dir, "core-scenes", text, "core_scenes.main")


def add_gadgets(plugins_dir: Path) -> Path:
    return add_plugin(plugins_dir, "gadgets", GADGETS_MANIFEST, GADGETS_MODULE)


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
