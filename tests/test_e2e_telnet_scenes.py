"""Scenes over telnet, end to end: the packaged host PEX with the unpacked core-scenes and
echo-bot bundles, real PostgreSQL, two players on real sockets. Every line each player
receives is asserted (see e2e_telnet)."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
    left_notice,
    pose,
)
from e2e_telnet import TelnetRoom

pytestmark = pytest.mark.asyncio(loop_scope="module")


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


async def test_a_scene_from_creation_to_its_end(room: TelnetRoom) -> None:
    alice = await room.enter()
    bob = await room.enter()
    a, b = alice.name, bob.name

    tea_title = "Tea at the Salty Gull"
    tea = await create_scene(alice, tea_title)
    await alice.command(
        f"scene set {tea} tags=Harbour,e2e-flow", f"Scene {tea} updated: tags = Harbour,e2e-flow"
    )
    # Posed before anyone joins: only its author sees it now, a joiner gets it replayed.
    await alice.command("scene pose wipes the counter.", pose(tea, a, "wipes the counter."))

    await bob.send(f"scene join {tea}")
    # The reply and the replay of the scene's recent poses come on different streams.
    await bob.expect_interleaved([pose(tea, a, "wipes the counter.")], [f"Joined scene {tea}."])
    await alice.expect(joined_notice(tea, b))

    # Both see every pose, prefixed with the scene.
    await alice.send("scene pose pours two cups of tea.")
    await alice.expect(pose(tea, a, "pours two cups of tea."))
    await bob.expect(pose(tea, a, "pours two cups of tea."))
    await bob.send("scene pose blows on his cup.")
    await bob.expect(pose(tea, b, "blows on his cup."))
    await alice.expect(pose(tea, b, "blows on his cup."))

    # A new scene becomes Alice's current one; `scene switch` takes her poses back.
    watch_title = "Harbour watch"
    watch = await create_scene(alice, watch_title)
    await alice.command(
        f"scene set {watch} tags=e2e-flow", f"Scene {watch} updated: tags = e2e-flow"
    )
    await alice.command("scene pose scans the horizon.", pose(watch, a, "scans the horizon."))
    await alice.command(f"scene switch {tea}", f"Switched to scene {tea}.")
    await alice.send("scene pose sets the teapot down.")
    await alice.expect(pose(tea, a, "sets the teapot down."))
    await bob.expect(pose(tea, a, "sets the teapot down."))

    # Browsing by tag: newest first, only the scenes carrying every tag asked for.
    await bob.command(
        "scenes --tags e2e-flow",
        "Open scenes tagged e2e-flow:",
        browse_line(watch, watch_title, participants=1, tags=["e2e-flow"]),
        browse_line(tea, tea_title, participants=2, tags=["harbour", "e2e-flow"]),
    )
    await bob.command(
        "scenes --tags E2E-flow,harbour",
        "Open scenes tagged E2E-flow, harbour:",
        browse_line(tea, tea_title, participants=2, tags=["harbour", "e2e-flow"]),
    )

    # Bob leaves: he hears the notice, then stops following the scene.
    await bob.command(f"scene leave {tea}", left_notice(tea, b), f"Left scene {tea}.")
    await alice.expect(left_notice(tea, b))
    await alice.command("scene pose sighs.", pose(tea, a, "sighs."))
    await alice.command(
        f"scene log {tea}",
        f"Log of scene {tea_title} ({tea}), last 5 pose(s):",
        f"{a} wipes the counter.",
        f"{a} pours two cups of tea.",
        f"{b} blows on his cup.",
        f"{a} sets the teapot down.",
        f"{a} sighs.",
    )

    await alice.command(f"scene end {tea}", ended_notice(tea, tea_title), f"Scene {tea} ended.")
    await alice.command(
        f"scene end {watch}", ended_notice(watch, watch_title), f"Scene {watch} ended."
    )
    await bob.command("scenes --tags e2e-flow", "No open scenes tagged e2e-flow.")

    await room.quit(alice)
    await room.quit(bob)


async def test_only_the_owner_can_end_a_scene(room: TelnetRoom, postgres_dsn: str) -> None:
    alice = await room.enter()
    bob = await room.enter()
    title = "Whose scene is it"
    scene = await create_scene(alice, title)
    await bob.command(f"scene join {scene}", f"Joined scene {scene}.")
    await alice.expect(joined_notice(scene, bob.name))

    await bob.command(
        f"scene end {scene}", "[ERROR] Failed to end scene: only the scene owner can end the scene"
    )
    owner_id = await character_id(postgres_dsn, alice.name)
    people = [f"{alice.name} (owner)", f"{bob.name} (member)"]
    await bob.command(
        f"scene info {scene}",
        *info_lines(scene, title, owner_id=owner_id, state="active", participants=people),
    )

    await alice.command(f"scene end {scene}", ended_notice(scene, title), f"Scene {scene} ended.")
    await bob.expect(ended_notice(scene, title))
    await bob.command(
        f"scene info {scene}",
        *info_lines(scene, title, owner_id=owner_id, state="ended", participants=people),
    )

    await room.quit(bob)
    await room.quit(alice)


async def test_a_private_scene_refuses_an_uninvited_player(
    room: TelnetRoom, postgres_dsn: str
) -> None:
    alice = await room.enter()
    bob = await room.enter()
    title = "Behind closed doors"
    scene = await create_scene(alice, title)
    await alice.command(
        f"scene set {scene} visibility=private", f"Scene {scene} updated: visibility = private"
    )
    await alice.command(
        f"scene set {scene} tags=e2e-private", f"Scene {scene} updated: tags = e2e-private"
    )

    await bob.command(
        f"scene join {scene}",
        "[ERROR] Failed to join scene: character not invited to private scene",
    )
    await bob.command("scenes --tags e2e-private", "No open scenes tagged e2e-private.")
    await bob.command(
        f"scene info {scene}",
        f"[ERROR] Failed to get scene: scene {scene} is private"
        " and you are not a participant or invitee",
    )

    # An invitation is what was missing.
    bob_id = await character_id(postgres_dsn, bob.name)
    await alice.command(f"scene invite {scene} {bob_id}", f"Invited {bob_id} to scene {scene}.")
    await bob.command(f"scene join {scene}", f"Joined scene {scene}.")
    await alice.expect(joined_notice(scene, bob.name))
    await bob.command(
        "scenes --tags e2e-private",
        "Open scenes tagged e2e-private:",
        browse_line(scene, title, participants=2, tags=["e2e-private"], visibility="private"),
    )

    await alice.command(f"scene end {scene}", ended_notice(scene, title), f"Scene {scene} ended.")
    await bob.expect(ended_notice(scene, title))
    await room.quit(alice)
    await room.quit(bob)
