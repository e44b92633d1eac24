"""A plugin whose ``enter <scene>`` joins the scene's focus, as core-scenes' ``scene join``
does; shared by the gateway tests that need a player in a scene."""

from __future__ import annotations

from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.dispatch.tests.helpers import Wired
from holomush_host.manifest.parse import parse_manifest
from holomush_sdk.commands import CommandRequest, CommandResponse, CommandStatus
from holomush_sdk.focus import FocusKey, FocusKind

__all__ = ["STAGE", "STAGE_ACTOR", "add_stage"]

STAGE_ACTOR = Actor(ActorKind.PLUGIN, "stage")
STAGE = """
name: stage
version: 1.0.0
type: binary
emits: [scene]
binary-plugin: {executable: stage}
commands:
  - name: enter
    usage: enter <scene>
policies:
  - name: run
    dsl: >-
      permit(principal is character, action in ["execute"], resource is command)
      when { resource.command.name == "enter" };
"""


def add_stage(wired: Wired) -> None:
    """Install the stage plugin in `wired`: ``enter <scene>`` joins that scene's focus."""

    async def enter(request: CommandRequest) -> CommandResponse:
        await wired.data.focus.join_focus(
            request.session_id, FocusKey(FocusKind.SCENE, request.args)
        )
        return CommandResponse(CommandStatus.OK, f"Joined scene {request.args}.")

    wired.add_plugin(parse_manifest(STAGE))
    wired.plugins.replies["enter"] = enter
