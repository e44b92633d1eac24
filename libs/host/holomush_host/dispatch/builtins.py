"""The host's own commands: say, pose, look, who, help, quit.

``say`` and ``pose`` append to ``location:<id>`` with ``{"character_name", "message"}``,
the shape echo-bot and the renderer expect (reference §6); everyone in the room, the
speaker included, sees them through the location stream. The others answer the player.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from holomush_host.commands.registry import CommandEntry, CommandRegistry
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.sessions import SessionStore
from holomush_host.data.world import WorldStore, location_stream
from holomush_host.dispatch.output import EventAppender
from holomush_host.dispatch.player import PlayerContext

MAX_HELP_FILE_BYTES: Final = 16384


@dataclass(frozen=True)
class BuiltinSpec:
    name: str
    usage: str
    help: str


BUILTIN_COMMANDS: Final = (
    BuiltinSpec("say", "say <message>", 'Say something to the room (shortcut: "<message>)'),
    BuiltinSpec("pose", "pose <action>", "Act something out (shortcuts: :<action>, ;<action>)"),
    BuiltinSpec("look", "look", "Describe where you are and who is here"),
    BuiltinSpec("who", "who", "List the connected characters"),
    BuiltinSpec("help", "help [command]", "List the commands, or explain one"),
    BuiltinSpec("quit", "quit", "Leave the game"),
)
BUILTIN_NAMES: Final = tuple(spec.name for spec in BUILTIN_COMMANDS)


@dataclass(frozen=True)
class BuiltinResult:
    text: str = ""
    is_error: bool = False
    #: The connection should close (``quit``).
    disconnect: bool = False


@dataclass(frozen=True)
class BuiltinCall:
    player: PlayerContext
    args: str
    #: A ``;`` pose: no space between the name and the action.
    no_space: bool = False


Handler = Callable[[BuiltinCall], Awaitable[BuiltinResult]]


def register_builtins(registry: CommandRegistry) -> None:
    for spec in BUILTIN_COMMANDS:
        registry.register_builtin(spec.name, help=spec.help, usage=spec.usage)


class HostCommands:
    def __init__(
        self,
        events: EventAppender,
        world: WorldStore,
        sessions: SessionStore,
        registry: CommandRegistry,
    ) -> None:
        self._events = events
        self._world = world
        self._sessions = sessions
        self._registry = registry
        self._handlers: dict[str, Handler] = {
            "say": self.say,
            "pose": self.pose,
            "look": self.look,
            "who": self.who,
            "help": self.help,
            "quit": self.quit,
        }

    def handler(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    async def say(self, call: BuiltinCall) -> BuiltinResult:
        if not call.args.strip():
            return BuiltinResult("Say what? Usage: say <message>", is_error=True)
        await self._speak(call.player, "say", {"message": call.args})
        return BuiltinResult()

    async def pose(self, call: BuiltinCall) -> BuiltinResult:
        if not call.args.strip():
            return BuiltinResult("Pose what? Usage: pose <action>", is_error=True)
        extra: dict[str, object] = {"no_space": True} if call.no_space else {}
        await self._speak(call.player, "pose", {"message": call.args, **extra})
        return BuiltinResult()

    async def look(self, call: BuiltinCall) -> BuiltinResult:
        location_id = call.player.location_id
        location = await self._world.get_location(location_id)
        present = await self._world.list_characters_at(location_id, connected_only=True)
        exits = await self._world.list_exits(location_id)
        lines = [location.name]
        if location.description:
            lines.append(location.description)
        if present:
            lines.append("Present: " + ", ".join(c.name for c in present))
        exit_names = [e.name if e.from_location_id == location_id else e.return_name for e in exits]
        if exit_names:
            lines.append("Exits: " + ", ".join(exit_names))
        return BuiltinResult("\n".join(lines))

    async def who(self, call: BuiltinCall) -> BuiltinResult:
        sessions = await self._sessions.list_connected()
        names = sorted({s.character_name for s in sessions}, key=str.lower)
        lines = [f"Connected ({len(names)}):", *(f"  {name}" for name in names)]
        return BuiltinResult("\n".join(lines))

    async def help(self, call: BuiltinCall) -> BuiltinResult:
        topic = call.args.strip()
        if not topic:
            return BuiltinResult(command_list(self._registry.entries()))
        entry = self._registry.lookup(topic.split()[0])
        if entry is None:
            return BuiltinResult(
                f"There is no command {topic!r}. Type 'help' for the list of commands.",
                is_error=True,
            )
        return BuiltinResult(await command_help(entry))

    async def quit(self, call: BuiltinCall) -> BuiltinResult:
        return BuiltinResult(disconnect=True)

    async def _speak(
        self, player: PlayerContext, event_type: str, fields: dict[str, object]
    ) -> None:
        payload = json.dumps(
            {"character_name": player.character_name, **fields}, ensure_ascii=False
        )
        await self._events.append(
            location_stream(player.location_id),
            event_type,
            Actor(ActorKind.CHARACTER, player.character_id),
            payload,
        )


def command_list(entries: tuple[CommandEntry, ...]) -> str:
    """Every command with its usage and one-line help, in columns."""
    rows = [(entry.usage or entry.name, entry.help) for entry in entries]
    width = max((len(usage) for usage, _ in rows), default=0)
    lines = ["Commands:"]
    lines.extend(f"  {usage.ljust(width)}  {text}".rstrip() for usage, text in rows)
    lines.append("Type 'help <command>' for more about one command.")
    return "\n".join(lines)


async def command_help(entry: CommandEntry) -> str:
    lines = [f"Usage: {entry.usage or entry.name}"]
    if entry.help:
        lines.append(entry.help)
    if entry.aliases:
        lines.append("Aliases: " + ", ".join(entry.aliases))
    if entry.plugin_name:
        lines.append(f"Provided by the {entry.plugin_name} plugin.")
    if entry.help_text:
        lines.extend(("", entry.help_text.rstrip("\n")))
    if entry.help_file is not None:
        text = await asyncio.to_thread(_read_help_file, entry.help_file)
        if text:
            lines.extend(("", text))
    return "\n".join(lines)


def _read_help_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_HELP_FILE_BYTES + 1)
    except OSError:
        return ""
    text = raw[:MAX_HELP_FILE_BYTES].decode("utf-8", errors="replace").rstrip("\n")
    return text + "\n…" if len(raw) > MAX_HELP_FILE_BYTES else text
