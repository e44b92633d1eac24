"""Running one typed line (reference §4.10): parse, authorize, run, show the result.

1. Shortcuts: ``"hi`` is ``say hi``, ``:waves`` is ``pose waves``, ``;'s hat`` a pose
   without the space.
2. Parse and look up (``Unknown command. Try 'help'.`` on a miss).
3. Layer 1 (``execute command:<name>``) and Layer 2 (each capability, scope honoured).
4. A built-in runs in the host; a plugin command goes to its plugin with the full
   request, validated like the RPC first, under a timeout.
5. The status decides what the player sees (see `statuses`). The plugin manager has
   appended the response's events already (only to namespaces the manifest ``emits``).

Every answer reaches the player as a ``command_response`` / ``command_error`` event on
``character:<id>``. Nothing here ever sends a traceback to a player: unexpected errors are
logged with their detail and the player gets a plain sentence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Protocol

from holomush_host.commands.access import authorize_command
from holomush_host.commands.errors import GENERIC_PLAYER_MESSAGE, CommandError, CommandErrorCode
from holomush_host.commands.invocation import build_invocation
from holomush_host.commands.registry import CommandRegistry, CommandSource, ResolvedCommand
from holomush_host.data.errors import DataError, StoreUnavailableError
from holomush_host.dispatch.builtins import BuiltinCall, HostCommands
from holomush_host.dispatch.output import CommandOutput, EventAppender
from holomush_host.dispatch.player import PlayerContext
from holomush_host.dispatch.ports import PluginCallError, PluginCommands, PluginUnavailableError
from holomush_host.dispatch.statuses import handling_for
from holomush_host.policy.attributes import AttributeSource
from holomush_host.policy.engine import PolicyEngine
from holomush_sdk.commands import CommandRequest, CommandResponse

_LOG = logging.getLogger(__name__)

DEFAULT_COMMAND_TIMEOUT: Final = 5.0


def plugin_unavailable_message(plugin: str) -> str:
    return f"The {plugin} plugin is not available right now. Please try again later."


def plugin_failed_message(plugin: str) -> str:
    return (
        f"The {plugin} plugin could not complete that command. "
        "The problem has been logged; please try again later."
    )


class ActivityRecorder(Protocol):
    async def touch(self, session_id: str) -> None: ...


@dataclass(frozen=True)
class DispatchResult:
    #: The player asked to leave (``quit``).
    disconnect: bool = False


def expand_shortcut(line: str) -> tuple[str, bool]:
    """``(line, no_space)`` with a leading ``"``, ``:`` or ``;`` spelled out."""
    text = line.lstrip()
    if text.startswith('"'):
        return "say " + text[1:], False
    if text.startswith(":"):
        return "pose " + text[1:], False
    if text.startswith(";"):
        return "pose " + text[1:], True
    return line, False


class CommandDispatcher:
    def __init__(
        self,
        *,
        registry: CommandRegistry,
        builtins: HostCommands,
        engine: PolicyEngine,
        attributes: AttributeSource,
        plugins: PluginCommands,
        events: EventAppender,
        sessions: ActivityRecorder,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> None:
        self._registry = registry
        self._builtins = builtins
        self._engine = engine
        self._attributes = attributes
        self._plugins = plugins
        self._output = CommandOutput(events)
        self._sessions = sessions
        self._timeout = command_timeout

    async def dispatch(self, player: PlayerContext, line: str) -> DispatchResult:
        """Run ``line`` for ``player``. Raises `StoreUnavailableError` when the database is
        down (writing the error as an event would fail too), and any error when even the
        error could not be written; the caller then tells the player directly."""
        try:
            return await self._dispatch(player, line)
        except StoreUnavailableError as exc:
            _LOG.warning("command %r of %s: %s", line[:80], player.subject, exc.message)
            raise
        except Exception:
            _LOG.exception("command %r of %s failed", line[:80], player.subject)
            await self._output.error(player.character_id, GENERIC_PLAYER_MESSAGE)
            return DispatchResult()

    async def _dispatch(self, player: PlayerContext, line: str) -> DispatchResult:
        line, no_space = expand_shortcut(line)
        try:
            resolved = self._registry.resolve(line)
            await authorize_command(
                self._engine,
                self._attributes,
                character_id=player.character_id,
                entry=resolved.entry,
            )
        except CommandError as exc:
            return await self._refuse(player, exc)
        if resolved.entry.source is CommandSource.BUILTIN:
            return await self._run_builtin(player, resolved, no_space)
        await self._run_plugin(player, resolved)
        return DispatchResult()

    async def _refuse(self, player: PlayerContext, exc: CommandError) -> DispatchResult:
        if exc.code is CommandErrorCode.EMPTY_INPUT:
            return DispatchResult()
        if exc.code is CommandErrorCode.ACCESS_EVALUATION_FAILED:
            _LOG.error("access check failed for %s: %s", player.subject, exc.detail)
        elif exc.code is CommandErrorCode.PERMISSION_DENIED:
            _LOG.info("denied %s: %s", player.subject, exc.detail)
        await self._output.error(player.character_id, exc.player_message)
        return DispatchResult()

    async def _run_builtin(
        self, player: PlayerContext, resolved: ResolvedCommand, no_space: bool
    ) -> DispatchResult:
        handler = self._builtins.handler(resolved.entry.name)
        if handler is None:
            raise RuntimeError(f"built-in command {resolved.entry.name!r} has no handler")
        result = await handler(BuiltinCall(player, resolved.args, no_space))
        if result.is_error:
            await self._output.error(player.character_id, result.text)
        else:
            await self._output.respond(player.character_id, result.text)
        if not result.disconnect:
            await self._touch(player)
        return DispatchResult(disconnect=result.disconnect)

    async def _run_plugin(self, player: PlayerContext, resolved: ResolvedCommand) -> None:
        plugin = resolved.entry.plugin_name
        assert plugin is not None
        try:
            invocation = build_invocation(
                resolved,
                character_id=player.character_id,
                character_name=player.character_name,
                location_id=player.location_id,
                session_id=player.session_id,
                player_id=player.player_id,
            )
        except CommandError as exc:
            _LOG.error("bad command request for %s: %s", plugin, exc.detail)
            await self._output.error(player.character_id, exc.player_message)
            return
        request = CommandRequest(
            command=invocation.command,
            args=invocation.args,
            character_id=invocation.character_id,
            character_name=invocation.character_name,
            location_id=invocation.location_id,
            session_id=invocation.session_id,
            player_id=invocation.player_id,
            invoked_as=invocation.raw_input,
        )
        response = await self._call_plugin(player, plugin, request)
        if response is not None:
            await self._deliver(player, plugin, request, response)

    async def _call_plugin(
        self, player: PlayerContext, plugin: str, request: CommandRequest
    ) -> CommandResponse | None:
        try:
            return await self._plugins.handle_command(plugin, request, timeout=self._timeout)
        except PluginUnavailableError as exc:
            _LOG.warning("command %r: plugin %s unavailable: %s", request.command, plugin, exc)
            await self._output.error(player.character_id, plugin_unavailable_message(plugin))
        except PluginCallError as exc:
            _LOG.error("command %r: plugin %s call failed: %s", request.command, plugin, exc)
            await self._output.error(player.character_id, plugin_failed_message(plugin))
        return None

    async def _deliver(
        self,
        player: PlayerContext,
        plugin: str,
        request: CommandRequest,
        response: CommandResponse,
    ) -> None:
        handling = handling_for(response.status)
        if handling.log_level is not None:
            _LOG.log(
                handling.log_level,
                "plugin %s returned %s for %r from %s: %s",
                plugin,
                response.status.name,
                request.command,
                player.subject,
                response.output,
            )
        text = handling.replacement or (response.output if handling.show_output else "")
        if handling.as_error:
            await self._output.error(player.character_id, text)
        else:
            await self._output.respond(player.character_id, text)
        if handling.bump_activity:
            await self._touch(player)

    async def _touch(self, player: PlayerContext) -> None:
        try:
            await self._sessions.touch(player.session_id)
        except DataError as exc:  # activity is bookkeeping; never fail a command over it
            _LOG.warning("could not record activity of session %s: %s", player.session_id, exc)
