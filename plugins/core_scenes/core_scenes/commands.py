"""The ``scene`` command: one subcommand per scene operation (texts in `command_text`).

Subcommands call `SceneService` in process, with the same validation and permission
checks as the RPCs. Focus (which scenes a session follows) is the host's: ``join`` and
``create`` join the scene's focus, ``leave`` and ``end`` leave it, ``switch`` presents it.
Nothing a player sees carries a traceback or an internal error text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from google.protobuf.field_mask_pb2 import FieldMask

from core_scenes import command_text as text
from core_scenes.announcements import ic_stream
from core_scenes.current_scenes import CurrentScenes
from core_scenes.errors import SceneErrorCode
from core_scenes.log_format import render_event
from core_scenes.model import SceneState
from core_scenes.service import SceneService
from core_scenes.service_errors import SceneServiceError
from holomush.scene.v1 import scene_pb2
from holomush_sdk import (
    CommandRequest,
    CommandResponse,
    FocusClient,
    FocusError,
    FocusErrorCode,
    FocusKey,
    FocusKind,
    HostCallError,
    QueryStreamHistoryRequest,
    errorf,
    failuref,
    ok,
)

__all__ = ["DEFAULT_LOG_COUNT", "MAX_LOG_COUNT", "SceneCommands"]

_log = logging.getLogger("core_scenes")

DEFAULT_LOG_COUNT = 20
MAX_LOG_COUNT = 100
_LIST_FIELDS = ("tags", "content_warnings")

Subcommand = Callable[[CommandRequest, str], Awaitable[CommandResponse]]


def _scene_key(scene_id: str) -> FocusKey:
    return FocusKey(FocusKind.SCENE, scene_id)


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class SceneCommands:
    """Handles ``scene <subcommand> …`` for one plugin instance."""

    def __init__(
        self,
        service: SceneService,
        focus: Callable[[], FocusClient | None],
        current: CurrentScenes | None = None,
    ) -> None:
        self._service = service
        self._focus = focus
        self._current = current if current is not None else CurrentScenes()
        self._subcommands: dict[str, Subcommand] = {
            "archive": self._archive,
            "create": self._create,
            "end": self._end,
            "info": self._info,
            "invite": self._invite,
            "join": self._join,
            "kick": self._kick,
            "leave": self._leave,
            "log": self._log_history,
            "pause": self._pause,
            "pose": self._pose,
            "resume": self._resume,
            "set": self._set,
            "switch": self._switch,
            "transfer": self._transfer,
            "vote": self._vote,
        }

    async def handle(self, req: CommandRequest) -> CommandResponse:
        parts = req.args.strip().split(maxsplit=1)
        if not parts:
            return text.missing_subcommand()
        sub, rest = parts[0], (parts[1].strip() if len(parts) > 1 else "")
        handler = self._subcommands.get(sub)
        if handler is None:
            return text.unknown_subcommand(sub)
        try:
            return await handler(req, rest)
        except Exception:
            _log.exception("scene %s failed unexpectedly", sub)
            return failuref("Something went wrong running `scene %s`; please try again later.", sub)

    # --- lifecycle --------------------------------------------------------------------

    async def _create(self, req: CommandRequest, rest: str) -> CommandResponse:
        if not rest:
            return errorf(text.USAGE["create"])
        try:
            response = await self._service.create_scene(
                scene_pb2.CreateSceneRequest(character_id=req.character_id, title=rest),
                caller_name=req.character_name,
            )
        except SceneServiceError as err:
            return text.failed("Failed to create scene", err)
        scene_id = response.scene.id
        self._current.set(req.session_id, scene_id)
        output = f"Scene created: {scene_id}"
        focus = self._focus()
        if focus is not None:
            try:
                await focus.join_focus(req.session_id, _scene_key(scene_id), exist_ok=True)
            except FocusError as err:
                _log.warning("join focus after create of %s failed: %s", scene_id, err)
                output += (
                    f"\nYour session could not subscribe to it ({text.describe_focus_error(err)})."
                    f" Use `scene join {scene_id}` to retry."
                )
        return ok(output)

    async def _info(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["info"])
        try:
            response = await self._service.get_scene(
                scene_pb2.GetSceneRequest(character_id=req.character_id, scene_id=scene_id)
            )
        except SceneServiceError as err:
            return text.failed("Failed to get scene", err)
        return ok(_describe_scene(response.scene))

    async def _end(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["end"])
        try:
            await self._service.end_scene(
                scene_pb2.EndSceneRequest(character_id=req.character_id, scene_id=scene_id)
            )
        except SceneServiceError as err:
            return text.failed("Failed to end scene", err)
        await self._leave_focus(req, scene_id)
        return ok(f"Scene {scene_id} ended.")

    async def _pause(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["pause"])
        try:
            await self._service.pause_scene(
                scene_pb2.PauseSceneRequest(character_id=req.character_id, scene_id=scene_id)
            )
        except SceneServiceError as err:
            return text.failed("Failed to pause scene", err)
        return ok(f"Scene {scene_id} paused.")

    async def _resume(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["resume"])
        try:
            await self._service.resume_scene(
                scene_pb2.ResumeSceneRequest(character_id=req.character_id, scene_id=scene_id)
            )
        except SceneServiceError as err:
            return text.failed("Failed to resume scene", err)
        return ok(f"Scene {scene_id} resumed.")

    async def _archive(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["archive"])
        try:
            await self._service.archive_scene(scene_id, req.character_id)
        except SceneServiceError as err:
            return text.failed("Failed to archive scene", err)
        return ok(f"Scene {scene_id} archived.")

    async def _set(self, req: CommandRequest, rest: str) -> CommandResponse:
        parts = rest.split(maxsplit=1)
        if len(parts) != 2 or "=" not in parts[1]:
            return errorf(text.USAGE["set"])
        scene_id = parts[0]
        field, _, value = parts[1].partition("=")
        field, value = field.strip(), value.strip()
        if not field:
            return errorf(text.USAGE["set"])
        if field not in text.KNOWN_FIELDS:
            return errorf(
                'unknown field "%s". Known fields: %s', field, ", ".join(text.KNOWN_FIELDS)
            )
        request = scene_pb2.UpdateSceneRequest(
            character_id=req.character_id,
            scene_id=scene_id,
            update_mask=FieldMask(paths=[field]),
        )
        if field in _LIST_FIELDS:
            getattr(request, field).extend(_split_list(value))
        else:
            setattr(request, field, value)
        try:
            await self._service.update_scene(request)
        except SceneServiceError as err:
            return text.failed("Failed to update scene", err)
        return ok(f"Scene {scene_id} updated: {field} = {value}")

    # --- membership and focus ---------------------------------------------------------

    async def _join(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["join"])
        try:
            await self._service.join_scene(
                scene_pb2.JoinSceneRequest(character_id=req.character_id, scene_id=scene_id),
                caller_name=req.character_name,
            )
        except SceneServiceError as err:
            return text.failed("Failed to join scene", err)
        self._current.set(req.session_id, scene_id)
        focus = self._focus()
        if focus is None:
            return errorf(
                "Joined scene in database, but your session could not subscribe (focus client"
                " not configured — this is a server configuration error, please contact an"
                " administrator)."
            )
        try:
            await focus.join_focus(req.session_id, _scene_key(scene_id), exist_ok=True)
        except FocusError as err:
            _log.warning("join focus of %s failed: %s", scene_id, err)
            return errorf(
                "Joined scene in database, but your session could not subscribe (%s)."
                " Please retry `scene join %s`.",
                text.describe_focus_error(err),
                scene_id,
            )
        return ok(f"Joined scene {scene_id}.")

    async def _leave(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["leave"])
        try:
            await self._service.leave_scene(
                scene_pb2.LeaveSceneRequest(character_id=req.character_id, scene_id=scene_id),
                caller_name=req.character_name,
            )
        except SceneServiceError as err:
            if err.code is not SceneErrorCode.TRANSITION_FORBIDDEN:
                return text.failed("Failed to leave scene", err)
            # The scene is over: its membership stays as the record of who took part (they
            # vote on publishing it), but the session stops following it.
            await self._leave_focus(req, scene_id)
            return ok(f"Scene {scene_id} is over; your session no longer follows it.")
        await self._leave_focus(req, scene_id)
        return ok(f"Left scene {scene_id}.")

    async def _invite(self, req: CommandRequest, rest: str) -> CommandResponse:
        return await self._act_on_character(
            req,
            rest,
            "invite",
            lambda scene_id, target: self._service.invite_to_scene(
                scene_pb2.InviteToSceneRequest(
                    character_id=req.character_id, scene_id=scene_id, target_character_id=target
                )
            ),
            failure="Failed to invite",
            success="Invited {target} to scene {scene_id}.",
        )

    async def _kick(self, req: CommandRequest, rest: str) -> CommandResponse:
        return await self._act_on_character(
            req,
            rest,
            "kick",
            lambda scene_id, target: self._service.kick_from_scene(
                scene_pb2.KickFromSceneRequest(
                    character_id=req.character_id, scene_id=scene_id, target_character_id=target
                )
            ),
            failure="Failed to kick",
            success="Removed {target} from scene {scene_id}.",
        )

    async def _transfer(self, req: CommandRequest, rest: str) -> CommandResponse:
        return await self._act_on_character(
            req,
            rest,
            "transfer",
            lambda scene_id, target: self._service.transfer_ownership(
                scene_pb2.TransferOwnershipRequest(
                    character_id=req.character_id, scene_id=scene_id, new_owner_character_id=target
                )
            ),
            failure="Failed to transfer ownership",
            success="Transferred ownership of scene {scene_id} to {target}.",
        )

    async def _act_on_character(
        self,
        req: CommandRequest,
        rest: str,
        subcommand: str,
        call: Callable[[str, str], Awaitable[object]],
        *,
        failure: str,
        success: str,
    ) -> CommandResponse:
        """`scene <subcommand> <scene-id> <character-id>`: an owner's action on a character."""
        args = _ids(rest, 2)
        if args is None:
            return errorf(text.USAGE[subcommand])
        scene_id, target = args
        try:
            await call(scene_id, target)
        except SceneServiceError as err:
            return text.failed(failure, err)
        return ok(success.format(scene_id=scene_id, target=target))

    async def _switch(self, req: CommandRequest, rest: str) -> CommandResponse:
        scene_id = _one_id(rest)
        if scene_id is None:
            return errorf(text.USAGE["switch"])
        focus = self._focus()
        if focus is None:
            return errorf("Failed to switch scene: focus client not configured")
        try:
            await focus.present_focus(req.session_id, _scene_key(scene_id))
        except FocusError as err:
            if err.code is FocusErrorCode.FOCUS_NOT_MEMBER:
                return errorf(
                    "You are not a member of scene %s. Use `scene join %s` first.",
                    scene_id,
                    scene_id,
                )
            _log.warning("present focus of %s failed: %s", scene_id, err)
            return errorf("Failed to switch scene: %s", text.describe_focus_error(err))
        self._current.set(req.session_id, scene_id)
        return ok(f"Switched to scene {scene_id}.")

    async def _leave_focus(self, req: CommandRequest, scene_id: str) -> None:
        """Stop the session following the scene; a failure is only logged (the scene
        change it follows has happened)."""
        self._current.forget(req.session_id, scene_id)
        focus = self._focus()
        if focus is None:
            return
        try:
            await focus.leave_focus(req.session_id, _scene_key(scene_id))
        except FocusError as err:
            _log.warning("leave focus of %s failed: %s", scene_id, err)

    # --- posing, history, publication -------------------------------------------------

    async def _pose(self, req: CommandRequest, rest: str) -> CommandResponse:
        if not rest:
            return errorf(text.USAGE["pose"])
        scene_id = self._current.get(req.session_id)
        if scene_id is None:
            resolved = await self._only_active_scene(req)
            if isinstance(resolved, CommandResponse):
                return resolved
            scene_id = resolved
            self._current.set(req.session_id, scene_id)
        try:
            await self._service.pose(scene_id, req.character_id, req.character_name, rest)
        except SceneServiceError as err:
            return text.failed("Failed to pose", err)
        return ok()

    async def _only_active_scene(self, req: CommandRequest) -> str | CommandResponse:
        """The one active scene the character takes part in, or the reply explaining why
        there is none to pick."""
        try:
            response = await self._service.list_scenes(
                scene_pb2.ListScenesRequest(
                    character_id=req.character_id, state=SceneState.ACTIVE, limit=200
                )
            )
        except SceneServiceError as err:
            return text.failed("Failed to pose", err)
        mine = [
            scene.id
            for scene in response.scenes
            if any(
                p.character_id == req.character_id and p.role in ("owner", "member")
                for p in scene.participants
            )
        ]
        if not mine:
            return errorf("You are not in an active scene. Use `scene join <scene id>` first.")
        if len(mine) > 1:
            return errorf(
                "You are in several active scenes (%s). Use `scene switch <scene id>` to"
                " choose where to pose.",
                ", ".join(mine),
            )
        return mine[0]

    async def _log_history(self, req: CommandRequest, rest: str) -> CommandResponse:
        args = rest.split()
        if not 1 <= len(args) <= 2:
            return errorf(text.USAGE["log"])
        scene_id, count = args[0], DEFAULT_LOG_COUNT
        if len(args) == 2:
            if not args[1].isdigit() or not 1 <= int(args[1]) <= MAX_LOG_COUNT:
                return errorf("The count must be a number from 1 to %d.", MAX_LOG_COUNT)
            count = int(args[1])
        try:
            scene = await self._service.readable_scene(scene_id, req.character_id)
        except SceneServiceError as err:
            return text.failed("Failed to read scene log", err)
        focus = self._focus()
        if focus is None:
            return errorf("Failed to read scene log: focus client not configured")
        try:
            events = await focus.query_stream_history(
                QueryStreamHistoryRequest(stream=ic_stream(scene_id), count=count)
            )
        except HostCallError as err:
            _log.warning("stream history of %s failed: %s", scene_id, err)
            return failuref(
                "Failed to read scene log: the server could not provide it; please try again later."
            )
        lines = [line for line in map(render_event, events) if line]
        if not lines:
            return ok(f"No poses in scene {scene_id} yet.")
        header = f"Log of scene {scene.title} ({scene_id}), last {len(lines)} pose(s):"
        return ok("\n".join([header, *lines]))

    async def _vote(self, req: CommandRequest, rest: str) -> CommandResponse:
        args = _ids(rest, 2)
        if args is None or args[1].lower() not in ("yes", "no"):
            return errorf(text.USAGE["vote"])
        scene_id, choice = args[0], args[1].lower()
        try:
            tally = await self._service.cast_publish_vote(
                scene_pb2.CastPublishVoteRequest(
                    character_id=req.character_id, scene_id=scene_id, vote=choice == "yes"
                )
            )
        except SceneServiceError as err:
            return text.failed("Failed to vote", err)
        if tally.published:
            return ok(
                f"Vote recorded: yes. All {tally.participants} participants consented;"
                f" scene {scene_id} is now published."
            )
        return ok(
            f"Vote recorded: {choice}. Publish consent for scene {scene_id}:"
            f" {tally.yes} of {tally.participants} participants"
            + (f" ({tally.no} against)." if tally.no else ".")
        )


def _ids(rest: str, count: int) -> list[str] | None:
    tokens = rest.split()
    return tokens if len(tokens) == count else None


def _one_id(rest: str) -> str | None:
    tokens = _ids(rest, 1)
    return tokens[0] if tokens else None


def _describe_scene(scene: scene_pb2.SceneInfo) -> str:
    lines = [
        f"Scene: {scene.title} ({scene.id})",
        f"Owner: {scene.owner_id}",
        f"State: {scene.state}",
        f"Visibility: {scene.visibility}",
    ]
    if scene.description:
        lines.append(f"Description: {scene.description}")
    if scene.location_id:
        lines.append(f"Location: {scene.location_id}")
    lines.append(f"Pose order: {scene.pose_order_mode}")
    if scene.tags:
        lines.append(f"Tags: {', '.join(scene.tags)}")
    if scene.content_warnings:
        lines.append(f"Content warnings: {', '.join(scene.content_warnings)}")
    people = [f"{p.character_name or p.character_id} ({p.role})" for p in scene.participants]
    if people:
        lines.append(f"Participants: {', '.join(people)}")
    return "".join(line + "\n" for line in lines)
