"""Semantic rules of a manifest (reference §3.2, §3.3) with the reference's messages.

Rules the reference does not have are marked "stricter than the reference" and exist so
that a mistake is reported instead of silently doing nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import PurePosixPath

from holomush_host.manifest.errors import ManifestProblem, go_quote
from holomush_host.manifest.model import CommandSpec, Manifest, PluginType, StorageKind
from holomush_host.manifest.semver import (
    ConstraintError,
    VersionError,
    parse_constraint,
    parse_version,
)
from holomush_host.manifest.vocabulary import (
    COMMAND_NAME_MAX_LENGTH,
    COMMAND_NAME_PATTERN,
    MIN_PRIORITY,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    PROTECTED_RESOURCE_TYPES,
    SERVICE_NAME_PATTERN,
    VERB_CATEGORIES,
    VERB_DISPLAY_TARGETS,
    VERB_FORMATS,
    is_plugin_name,
)
from holomush_host.policy.parser import PolicySyntaxError, parse_policy

NAME_PATTERN_MESSAGE = (
    "name must start with a-z, contain only a-z, 0-9, single hyphens, and not end with a hyphen"
)
COMMAND_NAME_PATTERN_MESSAGE = (
    "command name must start with a letter and contain only letters, digits, or _!?@#$%^+-"
)
_RUNNABLE_TYPES = (PluginType.LUA, PluginType.BINARY)


def validate_manifest(manifest: Manifest, *, skip: Collection[str] = ()) -> list[ManifestProblem]:
    """Every rule violation in ``manifest``; fields named in ``skip`` already failed decoding."""
    problems: list[ManifestProblem] = []
    add = problems.append
    if "name" not in skip:
        problems.extend(_name_problems(manifest.name))
    if "version" not in skip:
        problems.extend(_version_problems(manifest.version))
    if manifest.engine is not None:
        try:
            parse_constraint(manifest.engine)
        except ConstraintError as exc:
            add(
                ManifestProblem(
                    "engine", "engine must be a valid version constraint", hint=str(exc)
                )
            )
    problems.extend(_dependency_problems(manifest))
    if "type" not in skip:
        problems.extend(_type_block_problems(manifest))
        problems.extend(_type_restricted_problems(manifest))
    problems.extend(_emits_problems(manifest.emits))
    problems.extend(_event_problems(manifest.events))
    if manifest.priority < MIN_PRIORITY:
        add(ManifestProblem("priority", "load_priority < -999 is reserved for core plugins"))
    problems.extend(_policy_problems(manifest))
    problems.extend(command_problems(manifest.commands))
    problems.extend(_verb_problems(manifest))
    problems.extend(_service_problems("requires", manifest.requires))
    problems.extend(_service_problems("provides", manifest.provides))
    problems.extend(_resource_type_problems(manifest))
    problems.extend(_action_problems(manifest.actions))
    return problems


def _name_problems(name: str) -> list[ManifestProblem]:
    if NAME_PATTERN.fullmatch(name) is None:
        return [ManifestProblem("name", NAME_PATTERN_MESSAGE, hint=f"got {go_quote(name)}")]
    if len(name) > NAME_MAX_LENGTH:
        return [
            ManifestProblem(
                "name", "name exceeds maximum length", hint=f"{len(name)} > {NAME_MAX_LENGTH}"
            )
        ]
    return []


def _version_problems(version: str) -> list[ManifestProblem]:
    if not version:
        return [ManifestProblem("version", "version is required")]
    try:
        parse_version(version)
    except VersionError as exc:
        return [
            ManifestProblem("version", "version must be valid semver (e.g., 1.0.0)", hint=str(exc))
        ]
    return []


def _dependency_problems(manifest: Manifest) -> list[ManifestProblem]:
    problems = []
    for name, constraint in manifest.dependencies.items():
        path = f"dependencies.{name}"
        # Stricter than the reference: the key must be a plugin name, and not our own.
        if not is_plugin_name(name):
            problems.append(
                ManifestProblem(path, "dependency name must match plugin naming pattern")
            )
        elif name == manifest.name:
            problems.append(ManifestProblem(path, "a plugin cannot depend on itself"))
        try:
            parse_constraint(constraint)
        except ConstraintError as exc:
            problems.append(ManifestProblem(path, "invalid dependency constraint", hint=str(exc)))
    return problems


def _relative_path_problem(path: str, value: str, what: str) -> ManifestProblem | None:
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or value.endswith("/") or "\\" in value:
        return ManifestProblem(
            path,
            f"{what} must be a relative path inside the plugin directory",
            hint=f"got {go_quote(value)}",
        )
    return None


def _type_block_problems(m: Manifest) -> list[ManifestProblem]:
    problems: list[ManifestProblem] = []
    add = problems.append
    if m.type is PluginType.LUA:
        if m.lua_plugin is None:
            add(ManifestProblem("lua-plugin", "lua-plugin is required when type is lua"))
        elif not m.lua_plugin.entry.strip():
            add(ManifestProblem("lua-plugin.entry", "lua-plugin.entry is required"))
    elif m.type is PluginType.BINARY:
        if m.binary_plugin is None:
            add(ManifestProblem("binary-plugin", "binary-plugin is required when type is binary"))
        elif not m.binary_plugin.executable.strip():
            add(ManifestProblem("binary-plugin.executable", "binary-plugin.executable is required"))
        else:
            problem = _relative_path_problem(
                "binary-plugin.executable", m.binary_plugin.executable, "binary-plugin.executable"
            )
            if problem is not None:
                add(problem)
    else:
        if m.setting is None:
            add(ManifestProblem("setting", "setting stanza is required when type is setting"))
        else:
            for field in ("display_name", "content_dir", "starting_location"):
                if not getattr(m.setting, field).strip():
                    add(ManifestProblem(f"setting.{field}", f"setting.{field} is required"))
        if m.commands:
            add(ManifestProblem("commands", "setting plugins must not declare commands"))
        if m.verbs:
            add(ManifestProblem("verbs", "setting plugins must not declare verbs"))
        if m.lua_plugin is not None:
            add(ManifestProblem("lua-plugin", "setting plugins must not specify lua-plugin"))
        if m.binary_plugin is not None:
            add(ManifestProblem("binary-plugin", "setting plugins must not specify binary-plugin"))
    # Stricter than the reference: a block for another type would be silently ignored.
    if m.type is PluginType.BINARY and m.lua_plugin is not None:
        add(ManifestProblem("lua-plugin", "lua-plugin is only valid when type is lua"))
    if m.type is PluginType.LUA and m.binary_plugin is not None:
        add(ManifestProblem("binary-plugin", "binary-plugin is only valid when type is binary"))
    if m.type is not PluginType.SETTING and m.setting is not None:
        add(ManifestProblem("setting", "setting stanza is only valid when type is setting"))
    return problems


def _type_restricted_problems(m: Manifest) -> list[ManifestProblem]:
    problems: list[ManifestProblem] = []
    add = problems.append
    runnable = m.type in _RUNNABLE_TYPES
    if m.session_streams and not runnable:
        add(
            ManifestProblem(
                "session_streams", "session_streams is only valid for lua and binary plugin types"
            )
        )
    if m.emits and not runnable:
        add(ManifestProblem("emits", "emits is only valid for lua and binary plugin types"))
    if m.events and not runnable:
        add(ManifestProblem("events", "events is only valid for lua and binary plugin types"))
    if m.provides and m.type is not PluginType.BINARY:
        add(
            ManifestProblem(
                "provides", "only binary plugins can provide services", code="INVALID_PROVIDES"
            )
        )
    if m.storage is StorageKind.POSTGRES and m.type is not PluginType.BINARY:
        add(
            ManifestProblem(
                "storage",
                "postgres storage is only available for binary plugins",
                code="INVALID_STORAGE",
            )
        )
    if m.resource_types and m.type is not PluginType.BINARY:
        add(
            ManifestProblem(
                "resource_types", "resource_types can only be declared by binary plugins"
            )
        )
    return problems


def _emits_problems(emits: Iterable[str]) -> list[ManifestProblem]:
    problems = []
    seen: set[str] = set()
    for index, namespace in enumerate(emits):
        path = f"emits[{index}]"
        if not namespace.strip():
            problems.append(ManifestProblem(path, "emits entries must not be empty"))
        elif ":" in namespace:
            problems.append(
                ManifestProblem(
                    path,
                    "emits entries must be bare namespaces without ':'",
                    hint=f"got {go_quote(namespace)}",
                )
            )
        elif not is_plugin_name(namespace):
            problems.append(
                ManifestProblem(
                    path,
                    "emits entries must match plugin naming pattern",
                    hint=f"got {go_quote(namespace)}",
                )
            )
        elif namespace in seen:
            problems.append(
                ManifestProblem(path, "duplicate emits namespace", hint=go_quote(namespace))
            )
        seen.add(namespace)
    return problems


def _event_problems(events: Iterable[str]) -> list[ManifestProblem]:
    # Stricter than the reference (which never reads `events`): this host delivers by type.
    problems = []
    seen: set[str] = set()
    for index, event_type in enumerate(events):
        path = f"events[{index}]"
        if not event_type.strip():
            problems.append(ManifestProblem(path, "events entries must not be empty"))
        elif event_type != event_type.strip() or any(ch.isspace() for ch in event_type):
            problems.append(
                ManifestProblem(
                    path,
                    "events entries must not contain whitespace",
                    hint=f"got {go_quote(event_type)}",
                )
            )
        elif event_type in seen:
            problems.append(
                ManifestProblem(path, "duplicate event type", hint=go_quote(event_type))
            )
        seen.add(event_type)
    return problems


def _policy_problems(m: Manifest) -> list[ManifestProblem]:
    problems = []
    seen: set[str] = set()
    for index, policy in enumerate(m.policies):
        path = f"policies[{index}]"
        label = go_quote(policy.name)
        if not policy.name:
            problems.append(
                ManifestProblem(f"{path}.name", f"policy[{index}]: name cannot be empty")
            )
        elif NAME_PATTERN.fullmatch(policy.name) is None:
            problems.append(
                ManifestProblem(
                    f"{path}.name",
                    f"policy[{index}] {label}: name must match plugin naming pattern "
                    "(lowercase, hyphens, no special chars)",
                )
            )
        elif policy.name in seen:
            # Stricter than the reference: installed names must be unique per plugin.
            problems.append(
                ManifestProblem(f"{path}.name", f"policy[{index}] {label}: duplicate policy name")
            )
        seen.add(policy.name)
        if not policy.dsl.strip():
            problems.append(
                ManifestProblem(f"{path}.dsl", f"policy[{index}] {label}: dsl cannot be empty")
            )
            continue
        # Stricter than the reference: a syntax error is found here, not at install time.
        try:
            parse_policy(policy.dsl)
        except PolicySyntaxError as exc:
            problems.append(
                ManifestProblem(
                    f"{path}.dsl", f"policy[{index}] {label}: invalid dsl", hint=str(exc)
                )
            )
    return problems


def command_name_problem(path: str, name: str) -> ManifestProblem | None:
    """The reference's INVALID_NAME check for a (trimmed) command or alias name."""
    if not name:
        return ManifestProblem(path, "command name cannot be empty", code="INVALID_NAME")
    if len(name) > COMMAND_NAME_MAX_LENGTH:
        return ManifestProblem(
            path,
            f"command name exceeds maximum length of {COMMAND_NAME_MAX_LENGTH}",
            code="INVALID_NAME",
            hint=f"got {go_quote(name)}",
        )
    if COMMAND_NAME_PATTERN.fullmatch(name) is None:
        return ManifestProblem(
            path, COMMAND_NAME_PATTERN_MESSAGE, code="INVALID_NAME", hint=f"got {go_quote(name)}"
        )
    return None


def command_problems(commands: Iterable[CommandSpec]) -> list[ManifestProblem]:
    """CommandSpec rules plus name and alias uniqueness within one manifest."""
    problems: list[ManifestProblem] = []
    commands = tuple(commands)
    names = {spec.name for spec in commands}
    seen_names: set[str] = set()
    seen_aliases: set[str] = set()
    for index, spec in enumerate(commands):
        path = f"commands[{index}]"
        name_problem = command_name_problem(f"{path}.name", spec.name)
        if name_problem is not None:
            problems.append(name_problem)
        elif spec.name in seen_names:
            problems.append(
                ManifestProblem(f"{path}.name", "duplicate command name", hint=go_quote(spec.name))
            )
        seen_names.add(spec.name)
        for alias_index, alias in enumerate(spec.aliases):
            alias_path = f"{path}.aliases[{alias_index}]"
            if not alias:
                problems.append(
                    ManifestProblem(alias_path, "alias must not be empty", code="INVALID_NAME")
                )
                continue
            alias_problem = command_name_problem(alias_path, alias)
            if alias_problem is not None:
                problems.append(alias_problem)
            elif alias in seen_aliases:
                problems.append(
                    ManifestProblem(alias_path, "duplicate alias", hint=go_quote(alias))
                )
            elif alias in names:
                # Stricter than the reference: the command name would always win.
                problems.append(
                    ManifestProblem(
                        alias_path, "alias duplicates a command name", hint=go_quote(alias)
                    )
                )
            seen_aliases.add(alias)
        if spec.help_text and spec.help_file:
            problems.append(ManifestProblem(path, "helpText and helpFile are mutually exclusive"))
        if spec.help_file:
            problem = _relative_path_problem(f"{path}.helpFile", spec.help_file, "helpFile")
            if problem is not None:
                problems.append(problem)
    return problems


def _verb_problems(m: Manifest) -> list[ManifestProblem]:
    problems = []
    seen: set[str] = set()
    for index, verb in enumerate(m.verbs):
        path = f"verbs[{index}]"
        if not verb.type.strip():
            problems.append(ManifestProblem(f"{path}.type", "verb type must not be empty"))
        elif verb.type in seen:
            problems.append(
                ManifestProblem(f"{path}.type", "duplicate verb type", hint=go_quote(verb.type))
            )
        seen.add(verb.type)
        if verb.category not in VERB_CATEGORIES:
            problems.append(
                ManifestProblem(
                    f"{path}.category",
                    "unknown verb category",
                    hint=_choices(verb.category, VERB_CATEGORIES),
                )
            )
        if verb.format not in VERB_FORMATS:
            problems.append(
                ManifestProblem(
                    f"{path}.format",
                    "unknown verb format",
                    hint=_choices(verb.format, VERB_FORMATS),
                )
            )
        if verb.display_target is not None and verb.display_target not in VERB_DISPLAY_TARGETS:
            problems.append(
                ManifestProblem(
                    f"{path}.display_target",
                    "unknown verb display_target",
                    hint=_choices(verb.display_target, VERB_DISPLAY_TARGETS),
                )
            )
        if verb.format == "speech" and not verb.label.strip():
            problems.append(
                ManifestProblem(f"{path}.label", "label is required when verb format is speech")
            )
    return problems


def _service_problems(field: str, services: Iterable[str]) -> list[ManifestProblem]:
    # Stricter than the reference: a malformed or repeated service name is reported here.
    problems = []
    seen: set[str] = set()
    for index, service in enumerate(services):
        path = f"{field}[{index}]"
        if SERVICE_NAME_PATTERN.fullmatch(service) is None:
            problems.append(
                ManifestProblem(
                    path,
                    "service name must be a protobuf service name such as holomush.world.v1.WorldService",
                    hint=f"got {go_quote(service)}",
                )
            )
        elif service in seen:
            problems.append(ManifestProblem(path, "duplicate service", hint=go_quote(service)))
        seen.add(service)
    return problems


def _resource_type_problems(m: Manifest) -> list[ManifestProblem]:
    problems = []
    seen: set[str] = set()
    for index, resource_type in enumerate(m.resource_types):
        path = f"resource_types[{index}]"
        if not is_plugin_name(resource_type):
            problems.append(
                ManifestProblem(
                    path,
                    "resource type name must match plugin naming pattern",
                    hint=f"got {go_quote(resource_type)}",
                )
            )
        elif resource_type in PROTECTED_RESOURCE_TYPES:
            problems.append(
                ManifestProblem(
                    path,
                    "resource type is protected and cannot be declared by plugins",
                    hint=go_quote(resource_type),
                )
            )
        elif resource_type in seen:
            problems.append(
                ManifestProblem(path, "duplicate resource type", hint=go_quote(resource_type))
            )
        seen.add(resource_type)
    return problems


def _action_problems(actions: Iterable[str]) -> list[ManifestProblem]:
    problems = []
    seen: set[str] = set()
    for index, action in enumerate(actions):
        path = f"actions[{index}]"
        if not action.strip():
            problems.append(ManifestProblem(path, "action entry must not be empty"))
        elif action in seen:
            problems.append(ManifestProblem(path, "duplicate action", hint=go_quote(action)))
        seen.add(action)
    return problems


def _choices(value: str, allowed: Collection[str]) -> str:
    return f"got {go_quote(value)}; expected one of {', '.join(sorted(allowed))}"
