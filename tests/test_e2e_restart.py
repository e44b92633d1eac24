"""A host restart, end to end: the packaged host PEX is stopped with SIGTERM (exit 0) and
started again on the same database and plugins directory. Scenes, memberships and scene
history survive, and the plugin's migrations are not applied again."""

from __future__ import annotations

from pathlib import Path

import grpc.aio

from e2e_bundles import unpack_bundles
from e2e_database import CORE_SCENES_SCHEMA, HOST_SCHEMA, character_id, migration_rows
from e2e_host import HostProcess, start_in
from e2e_scenes import (
    browse_line,
    create_scene,
    ended_notice,
    info_lines,
    joined_notice,
    pose,
    published_notice,
)
from e2e_telnet import SHUTTING_DOWN, TelnetRoom
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc

RPC_TIMEOUT = 30.0
TAG = "e2e-restart"


async def start_host(database_url: str, workdir: Path, run: int) -> HostProcess:
    return await start_in(
        workdir, database_url, run, [("core-scenes", "1.0.0"), ("echo-bot", "1.0.0")]
    )


async def test_scenes_and_their_history_survive_a_restart(
    postgres_dsn: str, tmp_path: Path
) -> None:
    unpack_bundles(tmp_path / "plugins")

    # -- first run: a published scene, and one still going -------------------------------
    host = await start_host(postgres_dsn, tmp_path, 1)
    try:
        async with TelnetRoom(host.telnet_port, host.report) as room:
            alice = await room.enter()
            bob = await room.enter()
            a, b = alice.name, bob.name
            alice_id = await character_id(postgres_dsn, a)
            bob_id = await character_id(postgres_dsn, b)

            before_title = "Before the storm"
            before = await create_scene(alice, before_title)
            await alice.command(
                f"scene set {before} tags={TAG}", f"Scene {before} updated: tags = {TAG}"
            )
            await bob.command(f"scene join {before}", f"Joined scene {before}.")
            await alice.expect(joined_notice(before, b))
            await alice.send("scene pose closes the shutters.")
            for player in (alice, bob):
                await player.expect(pose(before, a, "closes the shutters."))
            await bob.send("scene pose lights a lamp.")
            for player in (alice, bob):
                await player.expect(pose(before, b, "lights a lamp."))
            await alice.command(
                f"scene end {before}", ended_notice(before, before_title), f"Scene {before} ended."
            )
            await bob.expect(ended_notice(before, before_title))
            await bob.command(
                f"scene vote {before} yes",
                f"Vote recorded: yes. Publish consent for scene {before}: 1 of 2 participants.",
            )
            # Ending it took Alice's session off the scene; Bob still follows it.
            await alice.command(
                f"scene vote {before} yes",
                f"Vote recorded: yes. All 2 participants consented; scene {before} is now published.",
            )
            await bob.expect(published_notice(before, 2))

            after_title = "After the storm"
            after = await create_scene(alice, after_title)
            await alice.command(
                f"scene set {after} tags={TAG}", f"Scene {after} updated: tags = {TAG}"
            )
            await bob.command(f"scene join {after}", f"Joined scene {after}.")
            await alice.expect(joined_notice(after, b))
            await alice.send("scene pose opens the door.")
            for player in (alice, bob):
                await player.expect(pose(after, a, "opens the door."))
            await bob.send("scene pose steps outside.")
            for player in (alice, bob):
                await player.expect(pose(after, b, "steps outside."))

            migrations = {
                schema: await migration_rows(postgres_dsn, schema)
                for schema in (HOST_SCHEMA, CORE_SCENES_SCHEMA)
            }
            assert len(migrations[CORE_SCENES_SCHEMA]) == 7

            # SIGTERM: a connected player is told, and the host exits 0.
            await room.quit(bob)
            await host.stop_cleanly()
            await alice.expect(SHUTTING_DOWN)
            await alice.expect_closed()
    finally:
        await host.kill()

    # -- second run, same database -----------------------------------------------------
    host = await start_host(postgres_dsn, tmp_path, 2)
    try:
        assert {
            schema: await migration_rows(postgres_dsn, schema)
            for schema in (HOST_SCHEMA, CORE_SCENES_SCHEMA)
        } == migrations, "migrations ran again on restart"

        async with TelnetRoom(host.telnet_port, host.report) as room:
            carol = await room.enter()
            c = carol.name
            carol_id = await character_id(postgres_dsn, c)
            # Bob quit (his guest is gone) and Alice's session waits, detached, to be
            # resumed; either way the scenes remember who took part, by name.
            members = [f"{a} (owner)", f"{b} (member)"]
            await carol.command(
                f"scene info {before}",
                *info_lines(
                    before,
                    before_title,
                    owner_id=alice_id,
                    state="ended",
                    tags=[TAG],
                    participants=members,
                ),
            )
            await carol.command(
                f"scene log {before}",  # published, so anyone may read it
                f"Log of scene {before_title} ({before}), last 2 pose(s):",
                f"{a} closes the shutters.",
                f"{b} lights a lamp.",
            )
            await carol.command(
                f"scene info {after}",
                *info_lines(
                    after,
                    after_title,
                    owner_id=alice_id,
                    state="active",
                    tags=[TAG],
                    participants=members,
                ),
            )
            await carol.command(
                f"scenes --tags {TAG}",
                f"Open scenes tagged {TAG}:",
                browse_line(after, after_title, participants=2, tags=[TAG]),
            )
            # Joining replays the scene's recent poses from before the restart.
            await carol.send(f"scene join {after}")
            await carol.expect_interleaved(
                [pose(after, a, "opens the door."), pose(after, b, "steps outside.")],
                [f"Joined scene {after}."],
            )

            async with grpc.aio.insecure_channel(host.grpc_target) as channel:
                scenes = scene_pb2_grpc.SceneServiceStub(channel)
                listed = await scenes.ListScenes(
                    scene_pb2.ListScenesRequest(tags=[TAG]), timeout=RPC_TIMEOUT
                )
                assert [
                    (
                        s.id,
                        s.title,
                        s.state,
                        [(p.character_id, p.character_name, p.role) for p in s.participants],
                    )
                    for s in listed.scenes
                ] == [
                    (
                        after,
                        after_title,
                        "active",
                        [(alice_id, a, "owner"), (bob_id, b, "member"), (carol_id, c, "member")],
                    ),
                    (
                        before,
                        before_title,
                        "ended",
                        [(alice_id, a, "owner"), (bob_id, b, "member")],
                    ),
                ]
                order = await scenes.GetPoseOrder(
                    scene_pb2.GetPoseOrderRequest(character_id=carol_id, scene_id=after),
                    timeout=RPC_TIMEOUT,
                )
                assert [(e.character_id, e.HasField("last_posed_at")) for e in order.entries] == [
                    (alice_id, True),
                    (bob_id, True),
                    (carol_id, False),
                ]
            await room.quit(carol)
        await host.stop_cleanly()
    finally:
        await host.kill()
