"""The package's public names: each resolves lazily to the object in the module named for it,
and the go-plugin transport alone does not import the rest of the SDK."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import holomush_sdk


def _type_checking_imports() -> dict[str, tuple[str, ...]]:
    """The `if TYPE_CHECKING:` imports of holomush_sdk/__init__.py, as module → names."""
    tree = ast.parse(Path(holomush_sdk.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    )
    return {
        node.module: tuple(alias.name for alias in node.names)
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }


def test_every_public_name_is_listed_once_and_typed() -> None:
    names = [name for names in holomush_sdk._EXPORTS.values() for name in names]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(holomush_sdk.__all__)
    # What type checkers see is what the lazy loader serves.
    assert _type_checking_imports() == holomush_sdk._EXPORTS


@pytest.mark.parametrize("name", holomush_sdk.__all__)
def test_public_name_is_the_object_of_its_module(name: str) -> None:
    module = importlib.import_module(holomush_sdk._MODULE_OF[name])
    assert getattr(holomush_sdk, name) is getattr(module, name)
    assert name in dir(holomush_sdk)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'holomush_sdk' has no attribute 'serv'"):
        holomush_sdk.serv  # noqa: B018
    with pytest.raises(ImportError, match="cannot import name 'serv' from 'holomush_sdk'"):
        exec("from holomush_sdk import serv", {})


def test_star_import_brings_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from holomush_sdk import *", namespace)
    assert set(holomush_sdk.__all__) <= set(namespace)


def _modules_after_import(statement: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return set(out.split())


def test_the_transport_does_not_import_the_event_model() -> None:
    loaded = _modules_after_import("import holomush_sdk.goplugin.server")
    assert "holomush_sdk.goplugin.server" in loaded
    assert not loaded & {
        "holomush_sdk.events",
        "holomush_sdk.serving",
        "holomush.plugin.v1.plugin_pb2",
    }


def test_a_plugin_import_loads_what_it_names() -> None:
    loaded = _modules_after_import("from holomush_sdk import ok")
    assert "holomush_sdk.commands" in loaded
    assert "holomush_sdk.serving" not in loaded
