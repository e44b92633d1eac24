"""The generator reads its templates through importlib.resources: it works from a zip file,
as it must inside the host's PEX."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import holomush_host
from holomush_host.manifest.parse import parse_manifest

SCRIPT = """\
import sys
import holomush_host
from holomush_host.scaffold import new_plugin
plugin_dir = new_plugin("zipped", sys.argv[1], storage="postgres",
                        provides=["holomush.scene.v1.SceneService"])
print(holomush_host.__file__)
"""


def test_generates_a_plugin_with_the_host_package_zipped(tmp_path: Path) -> None:
    host_package = Path(holomush_host.__file__).parent
    archive = tmp_path / "host.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(host_package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, path.relative_to(host_package.parent).as_posix())
    # Everything this process can import, except the unzipped host package.
    others = [
        os.path.abspath(p)
        for p in sys.path
        if p and Path(p).resolve() != host_package.parent.resolve()
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join([str(archive), *others])
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "plugins")],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(archive / "holomush_host" / "__init__.py")
    plugin_dir = tmp_path / "plugins" / "zipped"
    assert parse_manifest(plugin_dir / "plugin.yaml").name == "zipped"
    assert (plugin_dir / "zipped/migrations/000001_greetings.up.sql").is_file()
    assert "class SceneService(" in (plugin_dir / "zipped/services.py").read_text()
