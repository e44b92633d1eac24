"""The deployable plugin bundles as an operator uses them: unpacked into a plugins directory,
checked with the packaged host's ``holomush plugins validate`` / ``plugins list``, and
loaded by ``holomush serve``; a bundle with a broken manifest is reported with the loader's
own message and keeps no other plugin from loading."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from e2e_bundles import (
    ECHO_BOT_BUNDLE,
    PLUGIN_BUNDLES,
    bundle_members,
    unpack_bundles,
    write_bundle,
)
from e2e_host import host_env, running_host
from e2e_telnet import TelnetRoom
from holomush_host.manifest.discovery import discover
from packaged import HOST_PEX, pex_argv

BROKEN = "broken-bot"
#: Ways to break a manifest, each with a phrase the loader's message must contain.
BROKEN_MANIFESTS = {
    "bad-version": (
        f"name: {BROKEN}\nversion: one\ntype: binary\nbinary-plugin: {{executable: {BROKEN}}}\n",
        "version must be valid semver",
    ),
    "not-yaml": (f"name: {BROKEN}\nversion: [1.0.0\n", "invalid YAML"),
    "missing-executable": (
        f"name: {BROKEN}\nversion: 1.0.0\ntype: binary\nbinary-plugin: {{executable: nope}}\n",
        "plugin executable not found",
    ),
}


def holomush(*args: str) -> subprocess.CompletedProcess[str]:
    """The packaged host's command line."""
    return subprocess.run(
        [*pex_argv(HOST_PEX), *args],
        env=host_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def broken_bundle(tmp_path: Path, manifest: str) -> Path:
    """A bundle whose executable is echo-bot's working PEX and whose manifest is broken."""
    executable = bundle_members(ECHO_BOT_BUNDLE)["echo-bot/echo-bot.pex"]
    return write_bundle(tmp_path / f"{BROKEN}.tar.gz", BROKEN, manifest, executable)


def loader_message(plugins_dir: Path) -> str:
    """What the host's plugin loader says about the one broken plugin in ``plugins_dir``."""
    errors = discover(plugins_dir).errors
    assert len(errors) == 1, errors
    return str(errors[0])


def test_both_bundles_unpack_into_valid_plugins(tmp_path: Path) -> None:
    plugins_dir = unpack_bundles(tmp_path / "plugins")
    assert sorted(p.relative_to(plugins_dir).as_posix() for p in plugins_dir.rglob("*")) == [
        "core-scenes",
        "core-scenes/core-scenes",
        "core-scenes/core-scenes.pex",
        "core-scenes/plugin.yaml",
        "echo-bot",
        "echo-bot/echo-bot",
        "echo-bot/echo-bot.pex",
        "echo-bot/plugin.yaml",
    ]

    validated = holomush("plugins", "validate", str(plugins_dir))
    assert (validated.returncode, validated.stderr) == (0, ""), validated
    assert validated.stdout.splitlines() == ["core-scenes 1.0.0: ok", "echo-bot 1.0.0: ok"]

    listed = holomush("plugins", "list", "--plugins-dir", str(plugins_dir))
    assert (listed.returncode, listed.stderr) == (0, ""), listed
    assert [re.split(r"\s{2,}", line) for line in listed.stdout.splitlines()] == [
        ["NAME", "VERSION", "TYPE", "STATUS", "COMMANDS", "PROVIDES"],
        ["core-scenes", "1.0.0", "binary", "ok", "scene, scenes", "holomush.scene.v1.SceneService"],
        ["echo-bot", "1.0.0", "binary", "ok", "-", "-"],
    ], listed.stdout


@pytest.mark.parametrize("broken", sorted(BROKEN_MANIFESTS))
def test_a_broken_bundle_is_reported_and_the_others_stay_valid(broken: str, tmp_path: Path) -> None:
    manifest, phrase = BROKEN_MANIFESTS[broken]
    bundles = (*PLUGIN_BUNDLES, broken_bundle(tmp_path, manifest))
    plugins_dir = unpack_bundles(tmp_path / "plugins", bundles)
    message = loader_message(plugins_dir)
    assert phrase in message

    validated = holomush("plugins", "validate", str(plugins_dir))
    assert (validated.returncode, validated.stderr) == (1, ""), validated
    assert validated.stdout.splitlines() == [
        f"{BROKEN}: invalid",
        *("  " + line for line in message.splitlines()),
        "core-scenes 1.0.0: ok",
        "echo-bot 1.0.0: ok",
    ]


async def test_the_host_runs_the_others_next_to_a_broken_bundle(
    postgres_dsn: str, tmp_path: Path
) -> None:
    manifest, _ = BROKEN_MANIFESTS["bad-version"]
    bundles = (*PLUGIN_BUNDLES, broken_bundle(tmp_path, manifest))
    async with running_host(postgres_dsn, tmp_path / "host", bundles=bundles) as host:
        message = loader_message(tmp_path / "host" / "plugins")
        summary = "\n".join(host.summary)
        rows = [line.split() for line in host.summary[2:5]]
        assert [row[:3] for row in rows] == [
            ["PLUGIN", "VERSION", "STATE"],
            ["core-scenes", "1.0.0", "running"],
            ["echo-bot", "1.0.0", "running"],
        ], summary
        assert host.summary[5:7] == ["", "Problems (see the log for details):"], summary
        # The summary shows the start of the loader's message; the log has all of it.
        problem = host.summary[7].removeprefix(f"  {BROKEN}: invalid [MANIFEST_INVALID]: ")
        assert problem != host.summary[7], summary
        assert problem == message or (
            problem.endswith("…") and message.startswith(problem.removesuffix("…"))
        ), summary
        assert f"plugin {BROKEN}: invalid [MANIFEST_INVALID]: {message}" in host.log(), (
            host.report()
        )

        # echo-bot, loaded next to the broken bundle, does its job.
        async with TelnetRoom(host.telnet_port, host.report) as room:
            player = await room.enter()
            await player.command(
                "say still here?",
                f'{player.name} says, "still here?"',
                'echo-bot says, "Echo: still here?"',
            )
            await room.quit(player)
