"""Attributes of the ``scene`` resource type for the host's policy engine (reference §5.9).

The manifest's policies read them as ``resource.scene.<attribute>``. Only membership and
settings are exposed: never poses, log contents or how anyone voted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import grpc

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.store import SceneStore
from holomush_sdk import AttributeSchema, AttributeType, AttributeValue, PluginError

__all__ = ["RESOURCE_TYPE", "SCENE_ATTRIBUTES", "SceneResolver"]

_log = logging.getLogger("core_scenes")

RESOURCE_TYPE = "scene"

SCENE_ATTRIBUTES: Mapping[str, AttributeType] = {
    "id": AttributeType.STRING,
    "owner": AttributeType.STRING,
    "state": AttributeType.STRING,
    "visibility": AttributeType.STRING,
    "location": AttributeType.STRING,
    "pose_order": AttributeType.STRING,
    "participants": AttributeType.STRING_LIST,
    "invitees": AttributeType.STRING_LIST,
    "tags": AttributeType.STRING_LIST,
    "published": AttributeType.BOOL,
}


class SceneResolver:
    """`AttributeResolver` over the scene store; `store` is looked up per call because it
    only exists after Init."""

    def __init__(self, store: Callable[[], SceneStore | None]) -> None:
        self._store = store

    def get_schema(self) -> AttributeSchema:
        return {RESOURCE_TYPE: SCENE_ATTRIBUTES}

    async def resolve_resource(
        self, resource_type: str, resource_id: str
    ) -> Mapping[str, AttributeValue]:
        if resource_type != RESOURCE_TYPE:
            raise PluginError(
                f'core-scenes only resolves resource type "scene", got "{resource_type}"',
                status=grpc.StatusCode.INVALID_ARGUMENT,
            )
        store = self._store()
        if store is None:
            raise PluginError(
                "core-scenes is not initialised yet", status=grpc.StatusCode.UNAVAILABLE
            )
        try:
            scene = await store.get(resource_id)
        except SceneError as err:
            if err.code is SceneErrorCode.NOT_FOUND:
                raise PluginError(
                    f"scene not found: {resource_id}", status=grpc.StatusCode.NOT_FOUND
                ) from None
            _log.error("failed to resolve scene %s: %s", resource_id, err)
            raise PluginError("failed to resolve scene", status=grpc.StatusCode.INTERNAL) from None
        return {
            "id": scene.id,
            "owner": scene.owner_id,
            "state": str(scene.state),
            "visibility": str(scene.visibility),
            "location": scene.location_id,
            "pose_order": str(scene.pose_order),
            "participants": scene.participant_ids,
            "invitees": scene.invitee_ids,
            "tags": list(scene.tags),
            "published": scene.published_at is not None,
        }
