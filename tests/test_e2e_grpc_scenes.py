"""An external gRPC client on the host's public port, calling holomush.scene.v1.SceneService
(proxied to the core-scenes plugin) while two telnet players play: each side sees what the
other did. The packaged host PEX with the unpacked bundles, real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest
import pytest_asyncio

from e2e_database import character_id
from e2e_host import HostProcess, running_host
from e2e_scenes import (
    browse_line,
    create_scene,
    ended_notice,
    info_lines,
    joined_notice,
    pose,
    published_notice,
)
from e2e_telnet import TelnetRoom
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPC_TIMEOUT = 30.0


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def host(
    postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[HostProcess]:
    async with running_host(postgres_dsn, tmp_path_factory.mktemp("host")) as host:
        yield host


@pytest_asyncio.fixture(loop_scope="module")
async def room(host: HostProcess) -> AsyncIterator[TelnetRoom]:
    async with TelnetRoom(host.telnet_port, host.report) as room:
        yield room


@pytest_asyncio.fixture(loop_scope="module")
async def scenes(host: HostProcess) -> AsyncIterator[scene_pb2_grpc.SceneServiceAsyncStub]:
    async with grpc.aio.insecure_channel(host.grpc_target) as channel:
        yield scene_pb2_grpc.SceneServiceStub(channel)


def people(scene: scene_pb2.SceneInfo) -> list[tuple[str, str, str]]:
    return [(p.character_id, p.character_name, p.role) for p in scene.participants]


async def test_a_grpc_client_and_telnet_players_share_the_scenes(
    room: TelnetRoom, scenes: scene_pb2_grpc.SceneServiceAsyncStub, postgres_dsn: str
) -> None:
    alice = await room.enter()
    bob = await room.enter()
    a, b = alice.name, bob.name
    alice_id = await character_id(postgres_dsn, a)
    bob_id = await character_id(postgres_dsn, b)

    # On telnet: a scene with tags, a member, a pose.
    title = "Lighthouse keepers"
    scene = await create_scene(alice, title)
    await alice.command(
        f"scene set {scene} tags=e2e-grpc,Coast", f"Scene {scene} updated: tags = e2e-grpc,Coast"
    )
    await bob.command(f"scene join {scene}", f"Joined scene {scene}.")
    await alice.expect(joined_notice(scene, b))
    await alice.send("scene pose trims the wick.")
    await alice.expect(pose(scene, a, "trims the wick."))
    await bob.expect(pose(scene, a, "trims the wick."))

    # The gRPC client sees it all.
    got = (
        await scenes.GetScene(
            scene_pb2.GetSceneRequest(character_id=bob_id, scene_id=scene), timeout=RPC_TIMEOUT
        )
    ).scene
    assert (got.id, got.title, got.owner_id, got.state, got.visibility, got.pose_order_mode) == (
        scene,
        title,
        alice_id,
        "active",
        "open",
        "free",
    )
    assert list(got.tags) == ["e2e-grpc", "coast"]
    assert people(got) == [(alice_id, a, "owner"), (bob_id, b, "member")]
    assert got.HasField("created_at")
    assert not got.HasField("ended_at")

    listed = await scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=bob_id, tags=["e2e-grpc"]), timeout=RPC_TIMEOUT
    )
    assert [s.id for s in listed.scenes] == [scene]

    order = await scenes.GetPoseOrder(
        scene_pb2.GetPoseOrderRequest(character_id=alice_id, scene_id=scene), timeout=RPC_TIMEOUT
    )
    assert order.mode == "free"
    assert [
        (e.character_id, e.character_name, e.HasField("last_posed_at"), e.is_eligible)
        for e in order.entries
    ] == [(alice_id, a, True, True), (bob_id, b, False, True)]

    # The gRPC client creates a scene for Bob; telnet players find it by tag, newest first.
    storm_title = "Storm warning"
    created = await scenes.CreateScene(
        scene_pb2.CreateSceneRequest(character_id=bob_id, title=storm_title, tags=["e2e-grpc"]),
        timeout=RPC_TIMEOUT,
    )
    storm = created.scene.id
    assert (created.scene.title, created.scene.owner_id, created.scene.state) == (
        storm_title,
        bob_id,
        "active",
    )
    await alice.command(
        "scenes --tags e2e-grpc",
        "Open scenes tagged e2e-grpc:",
        browse_line(storm, storm_title, participants=1, tags=["e2e-grpc"]),
        browse_line(scene, title, participants=2, tags=["e2e-grpc", "coast"]),
    )

    # Alice joins it over gRPC; a gRPC caller has no display name, so the ID stands in.
    await scenes.JoinScene(
        scene_pb2.JoinSceneRequest(character_id=alice_id, scene_id=storm), timeout=RPC_TIMEOUT
    )
    await alice.command(
        f"scene info {storm}",
        *info_lines(
            storm,
            storm_title,
            owner_id=bob_id,
            state="active",
            tags=["e2e-grpc"],
            participants=[f"{bob_id} (owner)", f"{alice_id} (member)"],
        ),
    )

    # Only the owner may end a scene over gRPC too; the telnet players see it end.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await scenes.EndScene(
            scene_pb2.EndSceneRequest(character_id=bob_id, scene_id=scene), timeout=RPC_TIMEOUT
        )
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert refused.value.details() == "only the scene owner can end the scene"
    ended = await scenes.EndScene(
        scene_pb2.EndSceneRequest(character_id=alice_id, scene_id=scene), timeout=RPC_TIMEOUT
    )
    assert ended.scene.state == "ended"
    assert ended.scene.HasField("ended_at")
    for player in (alice, bob):
        await player.expect(ended_notice(scene, title))

    # Publishing: Bob votes on telnet, the gRPC client votes for Alice, which publishes it.
    await bob.command(
        f"scene vote {scene} yes",
        f"Vote recorded: yes. Publish consent for scene {scene}: 1 of 2 participants.",
    )
    tally = await scenes.CastPublishVote(
        scene_pb2.CastPublishVoteRequest(character_id=alice_id, scene_id=scene, vote=True),
        timeout=RPC_TIMEOUT,
    )
    assert (tally.yes_votes, tally.participants, tally.published) == (2, 2, True)
    for player in (alice, bob):
        await player.expect(published_notice(scene, 2))
    await bob.command(
        f"scene log {scene}",
        f"Log of scene {title} ({scene}), last 1 pose(s):",
        f"{a} trims the wick.",
    )

    listed = await scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=alice_id, tags=["e2e-grpc"]), timeout=RPC_TIMEOUT
    )
    assert [(s.id, s.state) for s in listed.scenes] == [(storm, "active"), (scene, "ended")]
    listed = await scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=alice_id, tags=["e2e-grpc"], state="active"),
        timeout=RPC_TIMEOUT,
    )
    assert [s.id for s in listed.scenes] == [storm]

    await scenes.EndScene(
        scene_pb2.EndSceneRequest(character_id=bob_id, scene_id=storm), timeout=RPC_TIMEOUT
    )
    await alice.command("scenes --tags e2e-grpc", "No open scenes tagged e2e-grpc.")
    await room.quit(alice)
    await room.quit(bob)
