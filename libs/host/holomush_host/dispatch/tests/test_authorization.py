"""The policy engine as the host wires it: core-scenes' real manifest policies, the scene
attributes coming from the (scripted) plugin, Layer 1 and Layer 2 with scope."""

from __future__ import annotations

import pytest

from holomush_host.data.host_data import HostData
from holomush_host.dispatch.authorization import CharacterAttributeProvider, HostAuthorization
from holomush_host.dispatch.tests.helpers import ScriptedPlugins, core_scenes_manifest
from holomush_host.manifest.model import CapabilityScope
from holomush_host.manifest.parse import parse_manifest
from holomush_host.policy.engine import AccessRequest
from holomush_host.policy.errors import PolicyInstallError
from holomush_host.policy.installation import SCHEMA_VALIDATION_FAILED

ALICE = "01JD00000000000000000ALICE"
BOB = "01JD000000000000000000BOBB"
CAROL = "01JD00000000000000000CAROL"
SCENE_SCHEMA = {
    "scene": {"id", "owner", "state", "visibility", "participants", "invitees", "location"}
}

pytestmark = pytest.mark.asyncio(loop_scope="module")


def scene(
    state: str = "active", visibility: str = "open", invitees: tuple[str, ...] = ()
) -> dict[str, object]:
    return {
        "id": "scene-1",
        "owner": ALICE,
        "state": state,
        "visibility": visibility,
        "participants": [ALICE, BOB],
        "invitees": list(invitees),
    }


@pytest.fixture
def plugins() -> ScriptedPlugins:
    return ScriptedPlugins(running={"core-scenes"})


@pytest.fixture
def authorization(data: HostData, plugins: ScriptedPlugins) -> HostAuthorization:
    authorization = HostAuthorization(data.world, data.sessions, plugins, plugins.loaded)
    authorization.install_plugin(core_scenes_manifest(), SCENE_SCHEMA)
    return authorization


async def decide(authorization: HostAuthorization, who: str, action: str, resource: str) -> bool:
    decision = await authorization.engine.evaluate(
        AccessRequest(f"character:{who}", action, resource), authorization.attributes
    )
    return decision.allowed


@pytest.mark.parametrize(
    ("who", "action", "attributes", "allowed"),
    [
        (ALICE, "end", scene(), True),
        (BOB, "end", scene(), False),
        (ALICE, "end", scene(state="ended"), False),
        (ALICE, "pause", scene(), True),
        (BOB, "pause", scene(), False),
        (ALICE, "update", scene(state="paused"), True),
        (BOB, "update", scene(), False),
        (ALICE, "invite", scene(), True),
        (BOB, "invite", scene(), False),
        (ALICE, "kick", scene(), True),
        (BOB, "kick", scene(), False),
        (ALICE, "transfer-ownership", scene(), True),
        (BOB, "transfer-ownership", scene(), False),
        (BOB, "resume", scene(state="paused"), True),
        (CAROL, "resume", scene(state="paused"), False),
        (CAROL, "join", scene(), True),
        (CAROL, "join", scene(visibility="private"), False),
        (CAROL, "join", scene(visibility="private", invitees=(CAROL,)), True),
        (CAROL, "join", scene(state="ended"), False),
        (BOB, "write", scene(), True),
        (CAROL, "write", scene(), False),
        (CAROL, "read", scene(visibility="private"), False),
    ],
)
async def test_per_scene_rules(
    authorization: HostAuthorization,
    plugins: ScriptedPlugins,
    who: str,
    action: str,
    attributes: dict[str, object],
    allowed: bool,
) -> None:
    plugins.attributes[("scene", "scene-1")] = attributes
    assert await decide(authorization, who, action, "scene:scene-1") is allowed
    assert plugins.attribute_calls == [("scene", "scene-1")]


async def test_a_missing_scene_is_denied(authorization: HostAuthorization) -> None:
    assert not await decide(authorization, ALICE, "end", "scene:scene-404")


async def test_a_failing_resolver_fails_closed(
    authorization: HostAuthorization, plugins: ScriptedPlugins
) -> None:
    async def broken(resource_type: str, resource_id: str) -> None:
        raise ConnectionError("plugin gone")

    plugins.resolve_attributes = broken  # type: ignore[method-assign]
    decision = await authorization.engine.evaluate(
        AccessRequest(f"character:{ALICE}", "end", "scene:scene-1"), authorization.attributes
    )
    assert not decision.allowed
    assert decision.error is not None
    assert "plugin gone" in decision.error


@pytest.mark.parametrize(
    ("command", "allowed"),
    [("scene", True), ("scenes", True), ("say", True), ("quit", True), ("gadget", False)],
)
async def test_layer_1(authorization: HostAuthorization, command: str, allowed: bool) -> None:
    assert await decide(authorization, ALICE, "execute", f"command:{command}") is allowed


@pytest.mark.parametrize(
    ("action", "scope", "allowed"),
    [
        ("write", CapabilityScope.LOCAL, True),
        ("write", CapabilityScope.SELF, True),
        ("write", CapabilityScope.GLOBAL, False),
        ("end", CapabilityScope.LOCAL, True),
        ("delete", CapabilityScope.LOCAL, False),
    ],
)
async def test_layer_2_with_scope(
    authorization: HostAuthorization,
    plugins: ScriptedPlugins,
    action: str,
    scope: CapabilityScope,
    allowed: bool,
) -> None:
    decision = await authorization.engine.can_perform_action(
        f"character:{ALICE}", action, "scene", authorization.attributes, scope=scope
    )
    assert decision.allowed is allowed
    assert plugins.attribute_calls == []


async def test_removing_a_plugin_removes_its_grants(
    authorization: HostAuthorization, plugins: ScriptedPlugins
) -> None:
    plugins.attributes[("scene", "scene-1")] = scene()
    authorization.remove_plugin("core-scenes")
    assert not await decide(authorization, ALICE, "end", "scene:scene-1")
    assert not await decide(authorization, ALICE, "execute", "command:scene")
    assert await decide(authorization, ALICE, "execute", "command:look")


def manifest(policy: str, resource_types: str = "[widget]", name: str = "widgets") -> str:
    return f"""
name: {name}
version: 1.0.0
type: binary
resource_types: {resource_types}
binary-plugin: {{executable: widgets}}
policies:
  - name: p
    dsl: '{policy}'
"""


@pytest.mark.parametrize(
    ("text", "schemas", "message"),
    [
        (
            manifest('permit(principal is character, action in ["read"], resource is location);'),
            None,
            'resource type "location" is protected',
        ),
        (
            manifest(
                'permit(principal is character, action in ["read"], resource is widget)'
                ' when { resource.widget.colour == "red" };'
            ),
            {"widget": {"size"}},
            "resource.widget.colour is not in the attribute schema",
        ),
        (
            manifest(
                'permit(principal is character, action in ["read"], resource is scene);', "[scene]"
            ),
            None,
            'resource type "scene" is already provided by plugin "core-scenes"',
        ),
    ],
)
async def test_policies_that_break_the_rules_install_nothing(
    authorization: HostAuthorization, text: str, schemas: object, message: str
) -> None:
    before = authorization.policies.policies()
    with pytest.raises(PolicyInstallError) as caught:
        authorization.install_plugin(parse_manifest(text), schemas)  # type: ignore[arg-type]
    assert any(message in str(problem) for problem in caught.value.problems), caught.value
    assert authorization.policies.policies() == before


async def test_schema_problems_carry_the_schema_code(authorization: HostAuthorization) -> None:
    text = manifest(
        'permit(principal is character, action in ["read"], resource is widget)'
        ' when { resource.widget.colour == "red" };'
    )
    with pytest.raises(PolicyInstallError) as caught:
        authorization.install_plugin(parse_manifest(text), {"widget": {"size"}})
    assert [p.code for p in caught.value.problems] == [SCHEMA_VALIDATION_FAILED]


async def test_character_attributes_come_from_the_world(data: HostData) -> None:
    guest = await data.world.create_guest_character()
    provider = CharacterAttributeProvider(data.world)
    assert await provider.resolve(guest.id) == {
        "id": guest.id,
        "player_id": guest.player_id,
        "name": guest.name,
        "description": "",
        "roles": ["guest"],
        "location_id": guest.location_id,
        "location": guest.location_id,
    }
    assert await provider.resolve("01JD0000000000000000000404") is None
    assert await provider.resolve("not-an-id") is None
