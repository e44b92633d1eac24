"""The command registry: every command word the host answers, and who owns it.

Command words match case-insensitively (the reference's telnet gateway lower-cased the
verb before an exact lookup; doing it here keeps one rule for every front end). A name or
alias may belong to one owner only: where the reference silently let a later plugin
overwrite an earlier command, registering a plugin whose words are taken fails as a
whole, naming both owners, and registers nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from holomush_host.commands.errors import CommandError, CommandErrorCode
from holomush_host.commands.parser import parse_command_line
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import Capability, Manifest
from holomush_host.manifest.validate import command_name_problem


class CommandSource(enum.Enum):
    BUILTIN = "builtin"
    PLUGIN = "plugin"


@dataclass(frozen=True)
class CommandEntry:
    #: Canonical name, as declared; sent to the plugin as ``CommandRequest.command``.
    name: str
    source: CommandSource
    plugin_name: str | None = None
    aliases: tuple[str, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    help: str = ""
    usage: str = ""
    help_text: str = ""
    help_file: Path | None = None

    @property
    def owner(self) -> str:
        if self.plugin_name is None:
            return "the host"
        return f"plugin {go_quote(self.plugin_name)}"


@dataclass(frozen=True)
class CommandConflict:
    word: str
    #: "command" or "alias", for both sides.
    wanted_as: str
    wanted_by: CommandEntry
    taken_word: str
    taken_as: str
    taken_by: CommandEntry

    def __str__(self) -> str:
        return (
            f"{self.wanted_as} {go_quote(self.word)} of {self.wanted_by.owner} conflicts with "
            f"{self.taken_as} {go_quote(self.taken_word)} of {self.taken_by.owner}"
        )


class CommandConflictError(Exception):
    """Some command words are already taken; nothing was registered."""

    def __init__(self, conflicts: Iterable[CommandConflict]) -> None:
        self.conflicts: tuple[CommandConflict, ...] = tuple(conflicts)
        super().__init__("; ".join(str(conflict) for conflict in self.conflicts))


@dataclass(frozen=True)
class ResolvedCommand:
    entry: CommandEntry
    args: str
    #: The word used (alias or name), lower-cased: ``CommandRequest.raw_input``.
    invoked_as: str


@dataclass(frozen=True)
class _Word:
    word: str
    entry: CommandEntry
    kind: str  # "command" or "alias"


class CommandRegistry:
    def __init__(self) -> None:
        self._words: dict[str, _Word] = {}
        self._entries: dict[str, CommandEntry] = {}

    # --- registration ----------------------------------------------------------------

    def register_builtin(
        self, name: str, *, help: str = "", usage: str = "", aliases: Iterable[str] = ()
    ) -> CommandEntry:
        entry = CommandEntry(
            name, CommandSource.BUILTIN, None, tuple(aliases), help=help, usage=usage
        )
        self._register([entry])
        return entry

    def register_plugin(
        self, manifest: Manifest, *, help_files: Mapping[str, Path] | None = None
    ) -> tuple[CommandEntry, ...]:
        """Register all of a plugin's commands, or none (raises CommandConflictError)."""
        if any(e.plugin_name == manifest.name for e in self._entries.values()):
            raise ValueError(f"plugin {manifest.name!r} already has commands registered")
        files = help_files or {}
        entries = [
            CommandEntry(
                name=spec.name,
                source=CommandSource.PLUGIN,
                plugin_name=manifest.name,
                aliases=spec.aliases,
                capabilities=spec.capabilities,
                help=spec.help,
                usage=spec.usage,
                help_text=spec.help_text,
                help_file=files.get(spec.name),
            )
            for spec in manifest.commands
        ]
        self._register(entries)
        return tuple(entries)

    def unregister_plugin(self, plugin_name: str) -> None:
        self._words = {k: w for k, w in self._words.items() if w.entry.plugin_name != plugin_name}
        self._entries = {k: e for k, e in self._entries.items() if e.plugin_name != plugin_name}

    def _register(self, entries: list[CommandEntry]) -> None:
        for entry in entries:
            for word in (entry.name, *entry.aliases):
                problem = command_name_problem("", word)
                if problem is not None:
                    raise ValueError(f"command {entry.name!r}: {problem.message}: {word!r}")
        batch: dict[str, _Word] = {}
        conflicts: list[CommandConflict] = []
        for entry in entries:
            words = [(entry.name, "command"), *((alias, "alias") for alias in entry.aliases)]
            for word, kind in words:
                key = word.lower()
                taken = self._words.get(key) or batch.get(key)
                if taken is not None:
                    conflicts.append(
                        CommandConflict(word, kind, entry, taken.word, taken.kind, taken.entry)
                    )
                else:
                    batch[key] = _Word(word, entry, kind)
        if conflicts:
            raise CommandConflictError(conflicts)
        self._words.update(batch)
        self._entries.update((entry.name.lower(), entry) for entry in entries)

    # --- lookup ----------------------------------------------------------------------

    def get(self, name: str) -> CommandEntry | None:
        """The command with this canonical name (any case); aliases do not count."""
        return self._entries.get(name.lower())

    def lookup(self, word: str) -> CommandEntry | None:
        """The command a typed word means: its name first, then an alias."""
        found = self._words.get(word.lower())
        return None if found is None else found.entry

    def resolve(self, line: str) -> ResolvedCommand:
        """Parse a typed line and find its command (raises :class:`CommandError`)."""
        parsed = parse_command_line(line)
        entry = self.lookup(parsed.word)
        if entry is None:
            raise CommandError(CommandErrorCode.UNKNOWN_COMMAND, f"unknown command {parsed.word!r}")
        return ResolvedCommand(entry, parsed.args, parsed.word.lower())

    def entries(self) -> tuple[CommandEntry, ...]:
        """Every command, sorted by name (for ``help``)."""
        return tuple(sorted(self._entries.values(), key=lambda e: e.name.lower()))


def build_command_registry(
    plugins: Iterable[tuple[Manifest, Mapping[str, Path]]],
    registry: CommandRegistry | None = None,
) -> tuple[CommandRegistry, list[CommandConflictError]]:
    """Register each plugin's commands in order; a plugin with conflicts is left out."""
    registry = registry or CommandRegistry()
    failures: list[CommandConflictError] = []
    for manifest, help_files in plugins:
        try:
            registry.register_plugin(manifest, help_files=help_files)
        except CommandConflictError as exc:
            failures.append(exc)
    return registry, failures
