"""discover(): scan rules, per-plugin errors and the executable checks, on real directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from holomush_host.manifest import ExecutableError, PluginType, discover, resolve_executable
from holomush_host.manifest.discovery import platform_dir_name
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_LUA_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
    write_plugin,
)


def test_missing_directory_holds_no_plugins(tmp_path: Path):
    result = discover(tmp_path / "absent")
    assert result.plugins == ()
    assert result.unsupported == ()
    assert result.errors == ()
    assert result.skipped == ()


def test_finds_the_shipped_plugins_in_name_order(tmp_path: Path):
    write_plugin(tmp_path, "echo-bot", ECHO_BOT_MANIFEST.read_text(), executable="echo-bot")
    core = write_plugin(
        tmp_path, "core-scenes", CORE_SCENES_MANIFEST.read_text(), executable="core-scenes"
    )
    result = discover(tmp_path)
    assert [p.name for p in result.plugins] == ["core-scenes", "echo-bot"]
    first = result.plugins[0]
    assert first.directory == core
    assert first.manifest_path == core / "plugin.yaml"
    assert first.executable == (core / "core-scenes").resolve()
    assert result.errors == ()


def test_skips_files_dirs_without_manifest_and_symlinked_dirs(tmp_path: Path):
    (tmp_path / "README.md").write_text("not a plugin")
    (tmp_path / "empty").mkdir()
    real = write_plugin(
        tmp_path / "elsewhere", "real", dump(minimal(name="real")), executable="demo"
    )
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "README.md").write_text("x")
    (plugins / "empty").mkdir()
    (plugins / "linked").symlink_to(real, target_is_directory=True)
    result = discover(plugins)
    assert result.plugins == ()
    reasons = {entry.path.name: entry.reason for entry in result.skipped}
    assert reasons == {
        "empty": "skipping plugin without manifest",
        "linked": "symlinked plugin directories are not followed",
    }


def test_lua_and_setting_plugins_are_listed_as_unsupported(tmp_path: Path):
    write_plugin(tmp_path, "echo-bot", ECHO_BOT_LUA_MANIFEST.read_text())
    result = discover(tmp_path)
    assert result.plugins == ()
    assert [p.manifest.type for p in result.unsupported] == [PluginType.LUA]
    assert result.unsupported[0].executable is None


def test_a_broken_plugin_is_reported_and_the_scan_goes_on(tmp_path: Path):
    write_plugin(
        tmp_path, "a-broken", dump(minimal(name="Broken", version="1.0")), executable="demo"
    )
    write_plugin(tmp_path, "b-good", dump(minimal(name="good")), executable="demo")
    result = discover(tmp_path)
    assert [p.name for p in result.plugins] == ["good"]
    (error,) = result.errors
    assert error.source == str(tmp_path / "a-broken" / "plugin.yaml")
    assert {p.path for p in error.problems} == {"name", "version"}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param("missing", "plugin executable not found", id="missing"),
        pytest.param("not-executable", "plugin executable not executable", id="no-exec-bit"),
        pytest.param("directory", "plugin executable is not a regular file", id="directory"),
        pytest.param(
            "symlink-out", "plugin executable path escapes plugin directory", id="symlink-escape"
        ),
    ],
)
def test_executable_problems_are_reported(tmp_path: Path, setup: str, message: str):
    plugins = tmp_path / "plugins"
    plugin_dir = write_plugin(plugins, "demo", dump(minimal()))
    target = plugin_dir / "demo"
    if setup == "not-executable":
        target.write_text("#!/bin/sh\n")
        target.chmod(0o644)
    elif setup == "directory":
        target.mkdir()
    elif setup == "symlink-out":
        outside = tmp_path / "outside"
        outside.write_text("#!/bin/sh\n")
        outside.chmod(0o755)
        target.symlink_to(outside)
    result = discover(plugins)
    assert result.plugins == ()
    (error,) = result.errors
    (problem,) = error.problems
    assert problem.path == "binary-plugin.executable"
    assert problem.message == message
    assert problem.hint == str(target)


def test_symlink_inside_the_plugin_dir_is_fine(tmp_path: Path):
    plugin_dir = write_plugin(tmp_path, "demo", dump(minimal()), executable="bin/real")
    (plugin_dir / "demo").symlink_to(plugin_dir / "bin" / "real")
    (plugin,) = discover(tmp_path).plugins
    assert plugin.executable == (plugin_dir / "bin" / "real").resolve()


def test_platform_directory_wins_over_the_plain_executable(tmp_path: Path):
    plugin_dir = write_plugin(tmp_path, "demo", dump(minimal()), executable="demo")
    write_target = plugin_dir / platform_dir_name() / "demo"
    write_target.parent.mkdir()
    write_target.write_text("#!/bin/sh\n")
    write_target.chmod(0o755)
    assert resolve_executable(plugin_dir, "demo") == write_target.resolve()


def test_resolve_executable_refuses_dot_dot(tmp_path: Path):
    plugin_dir = tmp_path / "demo"
    plugin_dir.mkdir()
    sibling = tmp_path / "tool"
    sibling.write_text("#!/bin/sh\n")
    sibling.chmod(0o755)
    with pytest.raises(ExecutableError, match="escapes plugin directory"):
        resolve_executable(plugin_dir, "../tool")


def test_help_files_must_exist_inside_the_plugin(tmp_path: Path):
    commands = [
        {"name": "greet", "helpFile": "help/greet.txt"},
        {"name": "wave", "helpFile": "help/wave.txt"},
    ]
    plugin_dir = write_plugin(tmp_path, "demo", dump(minimal(commands=commands)), executable="demo")
    (plugin_dir / "help").mkdir()
    (plugin_dir / "help" / "greet.txt").write_text("Say hello.")
    (error,) = discover(tmp_path).errors
    assert [(p.path, p.message) for p in error.problems] == [
        ("commands[1].helpFile", "helpFile not found")
    ]
    (plugin_dir / "help" / "wave.txt").write_text("Wave.")
    (plugin,) = discover(tmp_path).plugins
    assert plugin.help_files == {
        "greet": (plugin_dir / "help" / "greet.txt").resolve(),
        "wave": (plugin_dir / "help" / "wave.txt").resolve(),
    }


def test_unreadable_manifest_is_an_error_not_a_crash(tmp_path: Path):
    plugin_dir = tmp_path / "demo"
    (plugin_dir / "plugin.yaml").mkdir(parents=True)  # a directory where the file should be
    (error,) = discover(tmp_path).errors
    assert error.messages == ("cannot read manifest: Is a directory",)
    assert error.source == str(plugin_dir / "plugin.yaml")
