"""The ``scene`` attribute resolver (reference §5.9)."""

from __future__ import annotations

import grpc
import pytest

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_scene_id
from core_scenes.model import NewScene, Visibility
from core_scenes.resolver import SceneResolver
from core_scenes.tests.fakes import InMemorySceneStore
from holomush_sdk import AttributeType, PluginError


@pytest.fixture
def store() -> InMemorySceneStore:
    return InMemorySceneStore()


def test_schema(store: InMemorySceneStore) -> None:
    schema = SceneResolver(lambda: store).get_schema()
    assert set(schema) == {"scene"}
    attributes = schema["scene"]
    for name in ("id", "owner", "state", "visibility", "location", "pose_order"):
        assert attributes[name] is AttributeType.STRING
    for name in ("participants", "invitees", "tags"):
        assert attributes[name] is AttributeType.STRING_LIST
    assert attributes["published"] is AttributeType.BOOL


async def test_resolve_a_new_scene_and_its_members(store: InMemorySceneStore) -> None:
    resolver = SceneResolver(lambda: store)
    scene = await store.create_with_owner(
        NewScene(id=new_scene_id(), title="t", owner_id="alice", visibility=Visibility.PRIVATE)
    )
    attributes = await resolver.resolve_resource("scene", scene.id)
    assert attributes == {
        "id": scene.id,
        "owner": "alice",
        "state": "active",
        "visibility": "private",
        "location": "",
        "pose_order": "free",
        "participants": ["alice"],
        "invitees": [],
        "tags": [],
        "published": False,
    }
    await store.invite(scene.id, "alice", "bob")
    await store.invite(scene.id, "alice", "carol")
    await store.join(scene.id, "carol", "Carol")
    attributes = await resolver.resolve_resource("scene", scene.id)
    assert (attributes["participants"], attributes["invitees"]) == (["alice", "carol"], ["bob"])


async def test_resolve_errors(store: InMemorySceneStore) -> None:
    resolver = SceneResolver(lambda: store)
    with pytest.raises(PluginError) as err:
        await resolver.resolve_resource("widget", "w-1")
    assert err.value.status is grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.message == 'core-scenes only resolves resource type "scene", got "widget"'
    with pytest.raises(PluginError) as err:
        await resolver.resolve_resource("scene", "scene-missing")
    assert (err.value.status, err.value.message) == (
        grpc.StatusCode.NOT_FOUND,
        "scene not found: scene-missing",
    )
    store.fail_with = SceneError(SceneErrorCode.STORE_FAILED, "db password leaked")
    with pytest.raises(PluginError) as err:
        await resolver.resolve_resource("scene", "scene-1")
    assert (err.value.status, err.value.message) == (
        grpc.StatusCode.INTERNAL,
        "failed to resolve scene",
    )
    with pytest.raises(PluginError) as err:
        await SceneResolver(lambda: None).resolve_resource("scene", "scene-1")
    assert err.value.status is grpc.StatusCode.UNAVAILABLE
