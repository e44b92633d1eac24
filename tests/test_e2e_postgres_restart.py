"""PostgreSQL restarts under a running host, end to end: the packaged host PEX and both
plugin processes keep running (same PIDs) and reconnect by themselves.

Two telnet players do scene work and talk; the database server is stopped (fast shutdown)
and started again on the same data directory and socket. While it is down a player gets
a clear one-line message, never a traceback; once it is back, commands work again without
restarting anything: scene commands, ``say`` and echo-bot's answer, and the new events are
stored and delivered. The time from "database back" to "first command works" is printed.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import grpc.aio

from e2e_database import (
    ACTOR_CHARACTER,
    ACTOR_PLUGIN,
    character_id,
    events_after,
    newest_event_id,
)
from e2e_host import running_host
from e2e_scenes import create_scene, info_lines, joined_notice, pose
from e2e_telnet import TelnetPlayer, TelnetRoom
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_testing.restartable_postgres import RestartablePostgres

ECHO_BOT = "echo-bot"
RPC_TIMEOUT = 30.0
TITLE = "Rain on the roof"
#: From "database back" until a command works; generous for two busy cores.
RECOVERY_TIMEOUT = 60.0
#: What may reach a player only through a bug: Python's and libpq's insides.
INTERNALS = ("Traceback", 'File "', "psycopg", "OperationalError", "PoolTimeout", "socket")


def said(name: str, message: str) -> str:
    return f'{name} says, "{message}"'


def processes_under(workdir: Path) -> dict[str, int]:
    """PIDs of the host running on ``workdir/plugins`` and of its plugin children:
    ``{"host": pid, "core-scenes": pid, "echo-bot": pid}``. Linux: reads /proc. A plugin
    is known by its working directory, ``<plugins dir>/<name>`` (its PEX re-executes
    itself, so its command line does not name it)."""
    plugins_dir = workdir / "plugins"
    found: dict[str, int] = {}
    parents: dict[int, int] = {}
    cwds: dict[int, Path] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        pid = int(proc.name)
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            parents[pid] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cwds[pid] = Path(os.readlink(proc / "cwd"))
        except (OSError, ValueError, IndexError):  # it exited meanwhile
            continue
        if "--plugins-dir" in argv and str(plugins_dir) in argv:
            found["host"] = pid
    for pid, parent in parents.items():
        if parent == found.get("host") and cwds[pid].parent == plugins_dir:
            found[cwds[pid].name] = pid
    return found


async def next_line(player: TelnetPlayer) -> str:
    """Whatever line comes next (for output this test cannot know in advance)."""
    return (await player.expect_match(r"(.*)"))[1]


async def scene_info_works(player: TelnetPlayer, scene: str, expected: tuple[str, ...]) -> bool:
    """``scene info``: True if it answered in full, False if it answered with one error
    line (which must be a clear message)."""
    await player.send(f"scene info {scene}")
    first = await next_line(player)
    if first != expected[0]:
        assert not any(word in first for word in INTERNALS), first
        return False
    await player.expect(*expected[1:])
    return True


async def test_host_and_plugins_reconnect_after_postgres_restarts(
    restartable_postgres: RestartablePostgres, restartable_postgres_dsn: str, tmp_path: Path
) -> None:
    async with (
        running_host(restartable_postgres_dsn, tmp_path) as host,
        TelnetRoom(host.telnet_port, host.report) as room,
    ):
        pids = processes_under(tmp_path)
        assert sorted(pids) == ["core-scenes", "echo-bot", "host"], pids

        # -- before: a scene with two players, a pose, a say and echo-bot's answer -------
        alice = await room.enter()
        bob = await room.enter()
        a, b = alice.name, bob.name
        scene = await create_scene(alice, TITLE)
        await bob.command(f"scene join {scene}", f"Joined scene {scene}.")
        await alice.expect(joined_notice(scene, b))
        await alice.send("scene pose shakes out an umbrella.")
        for player in (alice, bob):
            await player.expect(pose(scene, a, "shakes out an umbrella."))
        await alice.send("say before")
        for player in (alice, bob):
            await player.expect(said(a, "before"), said(ECHO_BOT, "Echo: before"))
        before_outage = await newest_event_id(restartable_postgres_dsn)
        info = info_lines(
            scene,
            TITLE,
            owner_id=await character_id(restartable_postgres_dsn, a),
            state="active",
            participants=[f"{a} (owner)", f"{b} (member)"],
        )

        # -- the outage: a command gets one clear line back, no traceback ----------------
        # One command through the host's own store, one through core-scenes', at once:
        # each waits out its connection timeout before it fails.
        await restartable_postgres.astop("fast")
        stopped = time.monotonic()

        async def outage_reply(player: TelnetPlayer, line: str) -> tuple[str, float]:
            await player.send(line)
            return await next_line(player), time.monotonic() - stopped

        replies = await asyncio.gather(
            outage_reply(alice, "say into the void"), outage_reply(bob, "scene pose waits.")
        )
        for reply, _ in replies:
            assert reply, replies
            assert not any(word in reply for word in INTERNALS), replies
        print(
            "\nduring the outage: "
            + "; ".join(f"{reply!r} after {after:.1f} s" for reply, after in replies)
        )

        # -- back: the first command that works, without restarting anything -------------
        await restartable_postgres.astart()
        back = time.monotonic()
        failures = 0
        async with asyncio.timeout(RECOVERY_TIMEOUT):
            while not await scene_info_works(alice, scene, info):
                failures += 1
                await asyncio.sleep(0.1)  # poll interval: nothing announces the recovery
        recovery = time.monotonic() - back
        # The first command may still fail; every later one must work.
        assert failures <= 1, f"{failures} commands failed after PostgreSQL was back"
        print(
            f"first successful command {recovery:.2f} s after PostgreSQL was back"
            f" ({failures} failed attempt(s) before it)"
        )

        # -- after: scene commands, say and echo-bot, delivered and stored ---------------
        await bob.send("scene pose opens the window.")
        for player in (alice, bob):
            await player.expect(pose(scene, b, "opens the window."))
        await bob.send("say after")
        for player in (alice, bob):
            await player.expect(said(b, "after"), said(ECHO_BOT, "Echo: after"))
        await alice.send("scene pose closes it again.")
        for player in (alice, bob):
            await player.expect(pose(scene, a, "closes it again."))

        async with grpc.aio.insecure_channel(host.grpc_target) as channel:
            listed = await scene_pb2_grpc.SceneServiceStub(channel).ListScenes(
                scene_pb2.ListScenesRequest(), timeout=RPC_TIMEOUT
            )
        assert [(s.id, s.title) for s in listed.scenes] == [(scene, TITLE)]

        says = await events_after(restartable_postgres_dsn, before_outage, event_type="say")
        assert [(e.actor_kind, e.actor_id == ECHO_BOT, e.payload["message"]) for e in says] == [
            (ACTOR_CHARACTER, False, "after"),
            (ACTOR_PLUGIN, True, "Echo: after"),
        ]
        assert processes_under(tmp_path) == pids, "a process was restarted"

        await room.quit(alice)
        await room.quit(bob)
