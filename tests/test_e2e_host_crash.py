"""A host crash, end to end (issue "reliability"): the packaged host is killed with SIGKILL
mid-scene and started again on the same database and plugins directory.

* The plugins do not outlive the host: each notices its parent died and exits.
* Nothing committed is lost: sessions and their focus memberships are in the database as
  the crash left them. No connection outlives the process, so the next start detaches
  them; each player reconnects, types ``resume <code>`` (the code it was given at
  ``connect guest``) and is back as the same character, in the same scene: poses there
  reach it without joining again, and it sees what happened while it was away (and
  nothing it had already seen).
* Scenes, their participants and their history survive, and so does the plugin KV store
  (written by the test plugin memo).
* Migrations are a no-op on the second start; each storage plugin's login role is
  provisioned again, with a new password that its new process logs in with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import psycopg

from e2e_bundles import unpack_bundles
from e2e_database import (
    CORE_SCENES_SCHEMA,
    HOST_SCHEMA,
    character_id,
    migration_rows,
    wait_for_saved_cursors,
)
from e2e_host import HostProcess, start_in
from e2e_memo_plugin import install_memo_plugin, noted, recalled
from e2e_processes import plugin_processes, wait_until_gone
from e2e_scenes import create_scene, info_lines, joined_notice, pose
from e2e_telnet import TelnetRoom

CORE_SCENES_ROLE: Final = "holomush_plugin_core_scenes"
PLUGINS: Final = ("core-scenes", "echo-bot", "memo")
VERSIONS: Final = ("1.0.0", "1.0.0", "0.1.0")
#: The plugins' parent-death watchdog polls about once a second.
ORPHAN_LIMIT: Final = 10.0


async def start_host(database_url: str, workdir: Path, run: int) -> HostProcess:
    return await start_in(workdir, database_url, run, list(zip(PLUGINS, VERSIONS, strict=True)))


async def sessions_and_focus(dsn: str) -> list[tuple[Any, ...]]:
    """(character name, session status, focus kind, focus target) of every session."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT c.name, s.status, f.kind, f.target_id FROM holomush.sessions s"
            " JOIN holomush.characters c ON c.id = s.character_id"
            " LEFT JOIN holomush.session_focus f ON f.session_id = s.id ORDER BY c.name"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def role_verifier(dsn: str, role: str) -> str:
    """The role's stored SCRAM verifier: it changes when the password does."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cursor = await conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
        row = await cursor.fetchone()
    assert row is not None, f"no role {role}"
    assert row[0], f"role {role} has no password"
    return str(row[0])


async def logged_in_pids(dsn: str, role: str) -> set[int]:
    """The server processes (backends) of the role's connections to this database."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s AND datname = current_database()",
            (role,),
        )
        return {int(row[0]) for row in await cursor.fetchall()}


async def test_a_killed_host_comes_back_with_its_data_and_no_orphans(
    postgres_dsn: str, tmp_path: Path
) -> None:
    plugins_dir = unpack_bundles(tmp_path / "plugins")
    install_memo_plugin(plugins_dir)
    title = "Before the crash"

    # -- first run: a scene under way, a memo, then SIGKILL --------------------------------
    host = await start_host(postgres_dsn, tmp_path, 1)
    try:
        async with TelnetRoom(host.telnet_port, host.report) as room:
            alice = await room.enter()
            bob = await room.enter()
            a, b = alice.name, bob.name
            alice_id = await character_id(postgres_dsn, a)
            scene = await create_scene(alice, title)
            await bob.command(f"scene join {scene}", f"Joined scene {scene}.")
            await alice.expect(joined_notice(scene, b))
            for poser, text in ((alice, "bolts the door."), (bob, "checks the window.")):
                await poser.send(f"scene pose {text}")
                for player in (alice, bob):
                    await player.expect(pose(scene, poser.name, text))
            await alice.command("memo weather stormy", noted("weather", "stormy"))
            codes = {player.name: player.resume_code for player in (alice, bob)}
            # What each player was shown is recorded, so resuming shows nothing twice.
            await wait_for_saved_cursors(postgres_dsn)

            migrations = {
                schema: await migration_rows(postgres_dsn, schema)
                for schema in (HOST_SCHEMA, CORE_SCENES_SCHEMA)
            }
            verifier = await role_verifier(postgres_dsn, CORE_SCENES_ROLE)
            old_backends = await logged_in_pids(postgres_dsn, CORE_SCENES_ROLE)
            assert old_backends, "core-scenes is not logged in to the database"
            plugins = plugin_processes(plugins_dir)
            assert sorted(plugins) == sorted(PLUGINS)

            await host.kill()  # SIGKILL: no shutdown, no goodbye

            # Connections drop at once; the plugins notice their parent died and exit.
            for player in (alice, bob):
                await player.expect_closed()
            orphans = await wait_until_gone(plugins.values(), ORPHAN_LIMIT)
            assert not orphans, f"plugins outlived the host: {orphans}"
            room.players.clear()  # nothing left to hang up
    finally:
        await host.kill()

    # What the crash left in the database: both sessions, live, still following the scene.
    focus = ("scene", scene)
    assert await sessions_and_focus(postgres_dsn) == [
        (name, "active", *focus) for name in sorted([a, b])
    ]

    # -- second run, same database and plugins ---------------------------------------------
    host = await start_host(postgres_dsn, tmp_path, 2)
    try:
        assert (
            "sessions left over from the previous run: 2 detached (resumable), 0 ended"
            in host.log()
        ), host.report()
        assert await sessions_and_focus(postgres_dsn) == [
            (name, "detached", *focus) for name in sorted([a, b])
        ]
        assert {
            schema: await migration_rows(postgres_dsn, schema)
            for schema in (HOST_SCHEMA, CORE_SCENES_SCHEMA)
        } == migrations, "migrations ran again after the crash"
        # A fresh password, which the new core-scenes process logs in with (the old
        # process's connections are gone with it).
        assert await role_verifier(postgres_dsn, CORE_SCENES_ROLE) != verifier
        new_backends = await logged_in_pids(postgres_dsn, CORE_SCENES_ROLE)
        assert new_backends, "the restarted core-scenes is not logged in"
        assert not new_backends & old_backends

        async with TelnetRoom(host.telnet_port, host.report) as room:
            # Both come back with their codes; Bob missed Alice's return.
            alice = await room.resume(a, codes[a])
            bob = await room.resume(b, codes[b], missed=[f"{a} has reconnected."])
            assert await sessions_and_focus(postgres_dsn) == [
                (name, "active", *focus) for name in sorted([a, b])
            ]
            # Still in the scene: poses reach both without joining again.
            for poser, text in ((alice, "lifts the latch."), (bob, "holds the lamp up.")):
                await poser.send(f"scene pose {text}")
                for player in (alice, bob):
                    await player.expect(pose(scene, poser.name, text))

            carol = await room.enter()
            c = carol.name
            await carol.command("memo weather", recalled("weather", "stormy"))
            await carol.command(
                f"scene info {scene}",
                *info_lines(
                    scene,
                    title,
                    owner_id=alice_id,
                    state="active",
                    participants=[f"{a} (owner)", f"{b} (member)"],
                ),
            )
            # Joining replays the scene's last three poses, from before and after the crash.
            await carol.send(f"scene join {scene}")
            await carol.expect_interleaved(
                [
                    pose(scene, b, "checks the window."),
                    pose(scene, a, "lifts the latch."),
                    pose(scene, b, "holds the lamp up."),
                ],
                [f"Joined scene {scene}."],
            )
            for player in (alice, bob):
                await player.expect(joined_notice(scene, c))
            await carol.send("scene pose opens the door.")
            for player in (alice, bob, carol):
                await player.expect(pose(scene, c, "opens the door."))
            assert await sessions_and_focus(postgres_dsn) == [
                (name, "active", *focus) for name in sorted([a, b, c])
            ]
            await room.quit(carol)
            await room.quit(alice)  # a resumed session ends like any other
            assert await sessions_and_focus(postgres_dsn) == [(b, "active", *focus)]
        await host.stop_cleanly()
    finally:
        await host.kill()
