"""The deployable plugin bundles, as `runtime_package_dependencies` put them in a test sandbox.

A bundle is a tar.gz holding ``<name>/plugin.yaml``, ``<name>/<name>`` (the launcher) and
``<name>/<name>.pex`` (the plugin); deploying one means unpacking it into the host's plugins
directory, which is what `unpack_bundles` does, the way the README tells an operator to.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

CORE_SCENES_BUNDLE: Final = Path("core-scenes.tar.gz")
ECHO_BOT_BUNDLE: Final = Path("echo-bot.tar.gz")
PLUGIN_BUNDLES: Final = (CORE_SCENES_BUNDLE, ECHO_BOT_BUNDLE)
MANIFEST_FILE: Final = "plugin.yaml"


def unpack_bundles(plugins_dir: Path, bundles: Iterable[Path] = PLUGIN_BUNDLES) -> Path:
    """Unpack each bundle into ``plugins_dir`` (created if needed); returns it, absolute."""
    plugins_dir.mkdir(parents=True, exist_ok=True)
    for bundle in bundles:
        if not bundle.is_file():
            raise FileNotFoundError(f"{bundle} is missing: is it in runtime_package_dependencies?")
        with tarfile.open(bundle, "r:gz") as archive:
            # The "data" filter refuses absolute paths, links out of the directory and
            # device files, and keeps the executable bit the PEX needs.
            archive.extractall(plugins_dir, filter="data")
    return plugins_dir.resolve()


def bundle_members(bundle: Path) -> dict[str, bytes]:
    """Every regular file of a bundle: path inside the archive → content."""
    with tarfile.open(bundle, "r:gz") as archive:
        members: dict[str, bytes] = {}
        for member in archive.getmembers():
            if not member.isfile():
                continue
            content = archive.extractfile(member)
            if content is None:
                raise ValueError(f"{bundle}: cannot read {member.name}")
            members[member.name] = content.read()
        return members


def write_bundle(path: Path, name: str, manifest: str, executable: bytes) -> Path:
    """A bundle with ``<name>/plugin.yaml`` and the executable ``<name>/<name>``."""
    with tarfile.open(path, "w:gz") as archive:
        for member_name, content, mode in (
            (f"{name}/{MANIFEST_FILE}", manifest.encode(), 0o644),
            (f"{name}/{name}", executable, 0o755),
        ):
            info = tarfile.TarInfo(member_name)
            info.size, info.mode = len(content), mode
            archive.addfile(info, io.BytesIO(content))
    return path
