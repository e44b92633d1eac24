"""What `new_plugin` and ``holomush plugin new`` write, and what they refuse to write."""

from __future__ import annotations

import argparse
import ast
import io
import re
from pathlib import Path

import pytest

from holomush_host.manifest.model import StorageKind
from holomush_host.manifest.parse import parse_manifest
from holomush_host.policy.installation import prepare_plugin_policies
from holomush_host.scaffold import (
    ScaffoldError,
    add_plugin_new_arguments,
    main,
    new_plugin,
    run_plugin_new,
)

SCENES = "holomush.scene.v1.SceneService"


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def build_targets(build_file: Path) -> dict[str, dict[str, object]]:
    """The targets a BUILD file declares: name → keyword arguments (literals only)."""
    targets: dict[str, dict[str, object]] = {}
    for statement in ast.parse(build_file.read_text()).body:
        assert isinstance(statement, ast.Expr)
        assert isinstance(statement.value, ast.Call)
        call = statement.value
        assert isinstance(call.func, ast.Name)
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
        targets[str(kwargs.get("name", call.func.id))] = {"type": call.func.id, **kwargs}
    return targets


def test_writes_a_plugin_directory(tmp_path: Path) -> None:
    plugin_dir = new_plugin("hello-world", tmp_path)
    assert plugin_dir == tmp_path / "hello_world"
    assert tree(plugin_dir) == [
        "BUILD",
        "README.md",
        "bundle",
        "bundle/hello-world",
        "hello_world",
        "hello_world/BUILD",
        "hello_world/__init__.py",
        "hello_world/main.py",
        "hello_world/plugin.py",
        "hello_world/tests",
        "hello_world/tests/BUILD",
        "hello_world/tests/__init__.py",
        "hello_world/tests/test_plugin.py",
        "plugin.yaml",
    ]
    manifest = parse_manifest(plugin_dir / "plugin.yaml")
    assert (manifest.name, manifest.version, manifest.storage) == (
        "hello-world",
        "0.1.0",
        StorageKind.KV,
    )
    assert manifest.binary_plugin is not None
    assert manifest.binary_plugin.executable == "hello-world"
    assert [(c.name, c.usage) for c in manifest.commands] == [("hello-world", "hello-world [name]")]
    assert prepare_plugin_policies(manifest).warnings == ()  # the command may be executed
    assert "serve(ServeConfig(" in (plugin_dir / "hello_world/main.py").read_text()


def test_the_bundle_launcher_is_the_shared_one_and_executable(tmp_path: Path) -> None:
    launcher = new_plugin("hello-world", tmp_path) / "bundle" / "hello-world"
    assert launcher.stat().st_mode & 0o777 == 0o755
    # Relative to the build root: the test's working directory, in a checkout or a sandbox.
    shared = Path("build-support/plugin-launcher/launch.sh")
    assert launcher.read_text() == shared.read_text()


def test_build_file_packages_a_pex_and_a_bundle_like_echo_bot(tmp_path: Path) -> None:
    plugin_dir = new_plugin("hello-world", tmp_path)
    targets = build_targets(plugin_dir / "BUILD")
    assert targets["hello-world"] == {
        "type": "pex_binary",
        "name": "hello-world",
        "entry_point": "hello_world.main:main",
        "dependencies": ["./hello_world"],
        "execution_mode": "venv",
        "output_path": "hello-world/hello-world.pex",
    }
    assert targets["bundle"]["packages"] == [":hello-world"]
    assert targets["bundle"]["files"] == [":bundle-manifest", ":bundle-launcher"]
    assert targets["launcher"] == {
        "type": "file",
        "name": "launcher",
        "source": "bundle/hello-world",
    }
    assert targets["bundle-launcher"]["dest"] == "hello-world"
    assert targets["bundle"]["output_path"] == "hello-world.tar.gz"
    assert targets["bundle-manifest"]["dest"] == "hello-world"
    assert targets["manifest"] == {"type": "file", "name": "manifest", "source": "plugin.yaml"}


def test_postgres_storage_adds_a_store_and_a_migration(tmp_path: Path) -> None:
    plugin_dir = new_plugin("notes", tmp_path, storage="postgres")
    manifest = parse_manifest(plugin_dir / "plugin.yaml")
    assert manifest.storage is StorageKind.POSTGRES
    package = plugin_dir / "notes"
    assert sorted(p.name for p in (package / "migrations").iterdir()) == [
        "000001_greetings.down.sql",
        "000001_greetings.up.sql",
        "BUILD",
        "__init__.py",
    ]
    assert "serve_with_services(" in (package / "main.py").read_text()
    assert "run_migrations(pool, MIGRATIONS)" in (package / "store.py").read_text()
    assert 'MIGRATIONS = "notes.migrations"' in (package / "store.py").read_text()
    # Dependency inference cannot see a package named in a string: the BUILD says it.
    assert '"./migrations:sql"' in (package / "BUILD").read_text()


def test_provides_a_known_service_with_a_generated_servicer(tmp_path: Path) -> None:
    plugin_dir = new_plugin("scenery", tmp_path, provides=[SCENES])
    assert parse_manifest(plugin_dir / "plugin.yaml").provides == (SCENES,)
    services = (plugin_dir / "scenery/services.py").read_text()
    assert "class SceneService(scene_pb2_grpc.SceneServiceServicer):" in services
    assert "async def CreateScene(" in services
    plugin = (plugin_dir / "scenery/plugin.py").read_text()
    assert (
        "scene_pb2_grpc.add_SceneServiceServicer_to_server(self.scene_service, registrar)" in plugin
    )


def test_provides_an_unknown_service_with_a_todo(tmp_path: Path) -> None:
    plugin_dir = new_plugin("custom", tmp_path, provides=["acme.v1.WidgetService"])
    assert parse_manifest(plugin_dir / "plugin.yaml").provides == ("acme.v1.WidgetService",)
    assert not (plugin_dir / "custom/services.py").exists()
    plugin = (plugin_dir / "custom/plugin.py").read_text()
    assert "# TODO: generate Python code from acme.v1.WidgetService's proto" in plugin
    compile(plugin, "plugin.py", "exec")


def test_refuses_to_overwrite_and_changes_nothing(tmp_path: Path) -> None:
    existing = tmp_path / "hello_world"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    with pytest.raises(ScaffoldError, match="hello_world already exists; remove it"):
        new_plugin("hello-world", tmp_path)
    assert tree(tmp_path) == ["hello_world", "hello_world/mine.txt"]
    assert (existing / "mine.txt").read_text() == "keep me"


def test_refuses_an_existing_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "hello_world").write_text("")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_plugin("hello-world", tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"storage": "mysql"}, "unknown storage 'mysql': use 'none' or 'postgres'"),
        ({"provides": ["Scene Service"]}, 'invalid service name "Scene Service"'),
        ({"provides": ["SceneService"]}, 'invalid service name "SceneService"'),
        ({"provides": SCENES}, "provides must be a list of service names"),
        ({"provides": [SCENES, SCENES]}, f'service "{SCENES}" is given twice'),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ScaffoldError, match=re.escape(message)):
        new_plugin("hello-world", tmp_path / "plugins", **kwargs)  # type: ignore[arg-type]
    assert tree(tmp_path) == []


def test_a_file_as_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plugins").write_text("")
    with pytest.raises(ScaffoldError, match="plugins is not a directory"):
        new_plugin("hello-world", tmp_path / "plugins")


def test_inside_a_pants_repo_paths_are_relative_to_the_build_root(tmp_path: Path) -> None:
    (tmp_path / "pants.toml").write_text('[source]\nroot_patterns = ["/", "/plugins/*"]\n')
    plugin_dir = new_plugin("hello-world", tmp_path / "plugins")
    targets = build_targets(plugin_dir / "BUILD")
    assert targets["bundle-manifest"]["src"] == "plugins/hello_world"
    assert "./pants test plugins/hello_world::" in (plugin_dir / "README.md").read_text()


def parse_cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="holomush plugin new")
    add_plugin_new_arguments(parser)
    return parser.parse_args(argv)


def test_cli_creates_the_plugin_and_says_what_to_do_next(tmp_path: Path) -> None:
    (tmp_path / "pants.toml").write_text('[source]\nroot_patterns = ["/"]\n')
    out, err = io.StringIO(), io.StringIO()
    args = parse_cli(
        [
            "hello-world",
            "--storage",
            "postgres",
            "--provides",
            SCENES,
            "--dir",
            str(tmp_path / "plugins"),
        ]
    )
    assert run_plugin_new(args, stdout=out, stderr=err) == 0
    assert err.getvalue() == ""
    text = out.getvalue()
    assert f"Created plugin hello-world in {tmp_path / 'plugins' / 'hello_world'}" in text
    # The repo's root patterns do not cover the new directory: say how to fix that.
    assert '  - add "/plugins/hello_world" to [source] root_patterns in' in text
    assert "  - ./pants package plugins/hello_world:bundle   (dist/hello-world.tar.gz)" in text
    manifest = parse_manifest(tmp_path / "plugins/hello_world/plugin.yaml")
    assert (manifest.storage, manifest.provides) == (StorageKind.POSTGRES, (SCENES,))


def test_cli_reports_an_error_without_a_traceback(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    args = parse_cli(["Bad_Name", "--dir", str(tmp_path)])
    assert run_plugin_new(args, stdout=out, stderr=err) == 1
    assert out.getvalue() == ""
    assert err.getvalue().startswith('holomush plugin new: error: invalid plugin name "Bad_Name"')
    assert "Traceback" not in err.getvalue()
    assert tree(tmp_path) == []


def test_main_parses_its_own_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tiny", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "tiny/plugin.yaml").is_file()
    assert "Created plugin tiny" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["tiny", "--storage", "mysql"])
    assert exited.value.code == 2
