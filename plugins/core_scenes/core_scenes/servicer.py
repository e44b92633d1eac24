"""The gRPC face of `SceneService`: ``holomush.scene.v1.SceneService`` on grpc.aio.

Each RPC calls the shared service logic and answers a `SceneServiceError` with its code
and message. An unexpected exception is logged with its traceback and answered INTERNAL
without details.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

import grpc

from core_scenes.service import SceneService
from core_scenes.service_errors import SceneServiceError
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc

__all__ = [
    "SceneServicer",
    "add_scene_servicer_to_server",
]

_log = logging.getLogger("core_scenes")

Context = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")


async def _answer(context: Context, rpc: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except SceneServiceError as err:
        await _abort(context, err.status, err.message)
    except Exception:
        _log.exception("%s failed unexpectedly", rpc)
        await _abort(context, grpc.StatusCode.INTERNAL, f"{rpc}: internal error")


async def _abort(context: Context, status: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(status, message)
    raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises


class SceneServicer(scene_pb2_grpc.SceneServiceServicer):
    def __init__(self, service: SceneService) -> None:
        self._service = service

    async def ListScenes(
        self, request: scene_pb2.ListScenesRequest, context: Context
    ) -> scene_pb2.ListScenesResponse:
        return await _answer(context, "ListScenes", self._service.list_scenes(request))

    async def GetScene(
        self, request: scene_pb2.GetSceneRequest, context: Context
    ) -> scene_pb2.GetSceneResponse:
        return await _answer(context, "GetScene", self._service.get_scene(request))

    async def CreateScene(
        self, request: scene_pb2.CreateSceneRequest, context: Context
    ) -> scene_pb2.CreateSceneResponse:
        return await _answer(context, "CreateScene", self._service.create_scene(request))

    async def EndScene(
        self, request: scene_pb2.EndSceneRequest, context: Context
    ) -> scene_pb2.EndSceneResponse:
        return await _answer(context, "EndScene", self._service.end_scene(request))

    async def PauseScene(
        self, request: scene_pb2.PauseSceneRequest, context: Context
    ) -> scene_pb2.PauseSceneResponse:
        return await _answer(context, "PauseScene", self._service.pause_scene(request))

    async def ResumeScene(
        self, request: scene_pb2.ResumeSceneRequest, context: Context
    ) -> scene_pb2.ResumeSceneResponse:
        return await _answer(context, "ResumeScene", self._service.resume_scene(request))

    async def UpdateScene(
        self, request: scene_pb2.UpdateSceneRequest, context: Context
    ) -> scene_pb2.UpdateSceneResponse:
        return await _answer(context, "UpdateScene", self._service.update_scene(request))

    async def JoinScene(
        self, request: scene_pb2.JoinSceneRequest, context: Context
    ) -> scene_pb2.JoinSceneResponse:
        return await _answer(context, "JoinScene", self._service.join_scene(request))

    async def LeaveScene(
        self, request: scene_pb2.LeaveSceneRequest, context: Context
    ) -> scene_pb2.LeaveSceneResponse:
        return await _answer(context, "LeaveScene", self._service.leave_scene(request))

    async def InviteToScene(
        self, request: scene_pb2.InviteToSceneRequest, context: Context
    ) -> scene_pb2.InviteToSceneResponse:
        return await _answer(context, "InviteToScene", self._service.invite_to_scene(request))

    async def KickFromScene(
        self, request: scene_pb2.KickFromSceneRequest, context: Context
    ) -> scene_pb2.KickFromSceneResponse:
        return await _answer(context, "KickFromScene", self._service.kick_from_scene(request))

    async def TransferOwnership(
        self, request: scene_pb2.TransferOwnershipRequest, context: Context
    ) -> scene_pb2.TransferOwnershipResponse:
        return await _answer(
            context, "TransferOwnership", self._service.transfer_ownership(request)
        )

    async def CastPublishVote(
        self, request: scene_pb2.CastPublishVoteRequest, context: Context
    ) -> scene_pb2.CastPublishVoteResponse:
        tally = await _answer(context, "CastPublishVote", self._service.cast_publish_vote(request))
        return scene_pb2.CastPublishVoteResponse(
            yes_votes=tally.yes, participants=tally.participants, published=tally.published
        )

    async def GetPoseOrder(
        self, request: scene_pb2.GetPoseOrderRequest, context: Context
    ) -> scene_pb2.GetPoseOrderResponse:
        return await _answer(context, "GetPoseOrder", self._service.get_pose_order(request))


def add_scene_servicer_to_server(service: SceneService, server: grpc.aio.Server) -> None:
    scene_pb2_grpc.add_SceneServiceServicer_to_server(SceneServicer(service), server)  # type: ignore[no-untyped-call]
