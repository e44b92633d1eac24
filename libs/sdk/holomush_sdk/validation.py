"""Request validation: a declarative rule table per message type.

The Go SDK validated requests with protovalidate and the ``buf.validate`` annotations in
the protos. Here every constraint is a `Rule` in a table keyed by the message's full name.
`ValidationInterceptor` (in `holomush_sdk.interceptors`) checks every request the plugin
serves against the table, nested messages included, and answers InvalidArgument
``"request validation failed: <field>: <rule>"``.

The ``holomush.plugin.v1`` rules are registered below. A plugin that provides a service
registers its own messages' rules once at import time::

    register_rules(scene_pb2.CreateSceneRequest, {
        "character_id": Rule(min_len=1),
        "title": Rule(min_len=1, max_len=200),
        "visibility": Rule(choices=("", "open", "private")),
        "tags": Rule(max_items=32),
    })
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from holomush.plugin.v1 import attribute_pb2, plugin_pb2
from holomush_sdk.errors import PluginError
from holomush_sdk.goplugin._gostrconv import quote as go_quote

__all__ = [
    "DEFAULT_RULES",
    "MAX_REPORTED_VIOLATIONS",
    "NO_NUL",
    "Rule",
    "RuleRegistry",
    "RuleValidator",
    "ValidationError",
    "Validator",
    "Violation",
    "register_rules",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """Constraints on one field. Unset (None / False) constraints are not checked.

    - ``min_len`` / ``max_len``: characters of a string, bytes of a bytes field.
    - ``choices``: the allowed values of a scalar (a string "enum" or enum numbers).
    - ``gte`` / ``lte``: numeric bounds.
    - ``min_items`` / ``max_items``: size of a repeated or map field.
    - ``items``: a rule applied to every element of a repeated scalar field.
    - ``required``: a message field must be set; a scalar must be non-default; a repeated
      field must be non-empty.
    """

    min_len: int | None = None
    max_len: int | None = None
    choices: tuple[Any, ...] | None = None
    gte: float | None = None
    lte: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    items: Rule | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    """Dotted path, e.g. ``command.location_id`` or ``events[2].stream``."""
    rule: str
    """What is wrong, e.g. ``value length must be at least 1 characters``."""

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


MAX_REPORTED_VIOLATIONS = 5
"""How many violations a `ValidationError` message names; `violations` has them all."""


class ValidationError(PluginError):
    """A message broke its rules; `violations` lists every broken rule."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = tuple(violations)
        # The message becomes a gRPC status, which must fit in a header: name a few.
        shown = "; ".join(str(v) for v in self.violations[:MAX_REPORTED_VIOLATIONS])
        hidden = len(self.violations) - MAX_REPORTED_VIOLATIONS
        super().__init__(
            shown + (f" (and {hidden} more)" if hidden > 0 else ""),
            status=grpc.StatusCode.INVALID_ARGUMENT,
        )


class Validator(Protocol):
    """Checks a request; raises `ValidationError` when it is invalid."""

    def validate(self, message: Message) -> None: ...


NO_NUL = "value must not contain NUL characters"
"""The violation for text holding a NUL (see ``nul_free_text`` in `RuleRegistry.register`)."""


@dataclass(frozen=True, slots=True)
class _FieldCheck:
    """One field the walk must visit: its rule, whether its text must be NUL-free, and
    whether messages inside it may have rules."""

    field: FieldDescriptor
    rule: Rule | None
    nul_free: bool
    descend: bool


class RuleRegistry:
    """Rules by message full name (``"holomush.plugin.v1.CommandRequest"``)."""

    def __init__(self) -> None:
        self._rules: dict[str, dict[str, Rule]] = {}
        self._nul_free: set[str] = set()
        # Per message type, the fields worth visiting: a request is checked on every call,
        # so the descriptor walk is planned once (and again after `register`).
        self._plans: dict[str, tuple[_FieldCheck, ...]] = {}
        self._has_rules: dict[str, bool] = {}

    def register(
        self,
        message_type: type[Message],
        rules: Mapping[str, Rule],
        *,
        nul_free_text: bool = False,
    ) -> None:
        """Add (or replace) rules for `message_type`; unknown field names are an error.

        ``nul_free_text``: no string field of the message (nor item of a repeated one) may
        contain a NUL character — what a plugin storing text in PostgreSQL needs, since
        PostgreSQL text cannot hold NUL."""
        descriptor = message_type.DESCRIPTOR
        unknown = sorted(set(rules) - set(descriptor.fields_by_name))
        if unknown:
            raise ValueError(f"{descriptor.full_name} has no field(s) {', '.join(unknown)}")
        self._rules.setdefault(descriptor.full_name, {}).update(rules)
        if nul_free_text:
            self._nul_free.add(descriptor.full_name)
        self._plans.clear()
        self._has_rules.clear()

    def rules_for(self, full_name: str) -> Mapping[str, Rule]:
        return self._rules.get(full_name, {})

    def violations(self, message: Message) -> list[Violation]:
        """Every violation in `message` and the messages nested in it."""
        found: list[Violation] = []
        self._walk(message, "", found)
        return found

    def _plan(self, descriptor: Any) -> tuple[_FieldCheck, ...]:
        plan = self._plans.get(descriptor.full_name)
        if plan is None:
            rules = self.rules_for(descriptor.full_name)
            nul_free = descriptor.full_name in self._nul_free
            checks = (
                _FieldCheck(
                    field,
                    rules.get(field.name),
                    nul_free and field.type == FieldDescriptor.TYPE_STRING,
                    field.message_type is not None and self._may_have_rules(field.message_type),
                )
                for field in cast(list[FieldDescriptor], descriptor.fields)
            )
            plan = tuple(c for c in checks if c.rule is not None or c.nul_free or c.descend)
            self._plans[descriptor.full_name] = plan
        return plan

    def _may_have_rules(self, descriptor: Any, visiting: frozenset[str] = frozenset()) -> bool:
        """Whether `descriptor` or any message type reachable from it has rules."""
        name = descriptor.full_name
        known = self._has_rules.get(name)
        if known is not None:
            return known
        if name in visiting:
            return False  # a cycle adds nothing the first visit does not already see
        inside = visiting | {name}
        answer = (
            bool(self.rules_for(name))
            or name in self._nul_free
            or any(
                self._may_have_rules(field.message_type, inside)
                for field in cast(list[FieldDescriptor], descriptor.fields)
                if field.message_type is not None
            )
        )
        if not visiting:  # answers inside a cycle may be partial; cache only finished ones
            self._has_rules[name] = answer
        return answer

    def _walk(self, message: Message, prefix: str, found: list[Violation]) -> None:
        for check in self._plan(message.DESCRIPTOR):
            field = check.field
            path = prefix + field.name
            if check.rule is not None:
                _check_field(message, field, check.rule, path, found)
            if check.nul_free:
                _check_nul(getattr(message, field.name), field, path, found)
            if check.descend:
                self._walk_nested(message, field, path, found)

    def _walk_nested(
        self, message: Message, field: FieldDescriptor, path: str, found: list[Violation]
    ) -> None:
        value = getattr(message, field.name)
        entry_type = field.message_type
        if entry_type is not None and entry_type.GetOptions().map_entry:
            value_field = entry_type.fields_by_name["value"]
            if value_field.message_type is not None:
                for key, item in value.items():
                    self._walk(item, f"{path}[{go_quote(str(key))}].", found)
        elif field.is_repeated:
            for index, item in enumerate(value):
                self._walk(item, f"{path}[{index}].", found)
        elif message.HasField(field.name):
            self._walk(value, path + ".", found)


def _check_field(
    message: Message, field: FieldDescriptor, rule: Rule, path: str, found: list[Violation]
) -> None:
    value = getattr(message, field.name)
    if field.is_repeated:
        size = len(value)
        if rule.required and size == 0:
            found.append(Violation(path, "value is required"))
        if rule.min_items is not None and size < rule.min_items:
            found.append(Violation(path, f"value must contain at least {rule.min_items} item(s)"))
        if rule.max_items is not None and size > rule.max_items:
            found.append(
                Violation(path, f"value must contain no more than {rule.max_items} item(s)")
            )
        too_many = rule.max_items is not None and size > rule.max_items
        if rule.items is not None and field.message_type is None and not too_many:
            for index, item in enumerate(value):
                _check_scalar(item, field, rule.items, f"{path}[{index}]", found)
        return
    if field.message_type is not None:
        if rule.required and not message.HasField(field.name):
            found.append(Violation(path, "value is required"))
        return
    if rule.required and value == field.default_value:
        found.append(Violation(path, "value is required"))
        return
    _check_scalar(value, field, rule, path, found)


def _check_nul(value: Any, field: FieldDescriptor, path: str, found: list[Violation]) -> None:
    if not field.is_repeated:
        if "\x00" in value:
            found.append(Violation(path, NO_NUL))
        return
    for index, item in enumerate(value):
        if "\x00" in item:
            found.append(Violation(f"{path}[{index}]", NO_NUL))


def _check_scalar(
    value: Any, field: FieldDescriptor, rule: Rule, path: str, found: list[Violation]
) -> None:
    if isinstance(value, str | bytes):
        unit = "bytes" if isinstance(value, bytes) else "characters"
        if rule.min_len is not None and len(value) < rule.min_len:
            found.append(Violation(path, f"value length must be at least {rule.min_len} {unit}"))
        if rule.max_len is not None and len(value) > rule.max_len:
            found.append(Violation(path, f"value length must be at most {rule.max_len} {unit}"))
    if rule.choices is not None and value not in rule.choices:
        listed = ", ".join(go_quote(c) if isinstance(c, str) else str(c) for c in rule.choices)
        found.append(Violation(path, f"value must be one of [{listed}]"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if rule.gte is not None and value < rule.gte:
            found.append(
                Violation(path, f"value must be greater than or equal to {_num(rule.gte)}")
            )
        if rule.lte is not None and value > rule.lte:
            found.append(Violation(path, f"value must be less than or equal to {_num(rule.lte)}"))


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


class RuleValidator:
    """`Validator` that checks messages against a `RuleRegistry` (default: `DEFAULT_RULES`)."""

    def __init__(self, registry: RuleRegistry | None = None) -> None:
        self._registry = registry if registry is not None else DEFAULT_RULES

    def validate(self, message: Message) -> None:
        violations = self._registry.violations(message)
        if violations:
            raise ValidationError(violations)


DEFAULT_RULES = RuleRegistry()
"""The process-wide rule table the SDK's interceptor uses by default."""


def register_rules(
    message_type: type[Message], rules: Mapping[str, Rule], *, nul_free_text: bool = False
) -> None:
    """Register `rules` for `message_type` in `DEFAULT_RULES` (see `RuleRegistry.register`)."""
    DEFAULT_RULES.register(message_type, rules, nul_free_text=nul_free_text)


_REQUIRED_TEXT = Rule(min_len=1)
_PAYLOAD = Rule(max_len=65536)
_TEXT_8K = Rule(max_len=8192)

# --- holomush.plugin.v1: PluginService (served by the plugin) -----------------------------
register_rules(
    plugin_pb2.Event,
    {
        "id": _REQUIRED_TEXT,
        "stream": _REQUIRED_TEXT,
        "type": _REQUIRED_TEXT,
        "actor_kind": _REQUIRED_TEXT,
        "actor_id": _REQUIRED_TEXT,
        "payload": _PAYLOAD,
    },
)
register_rules(
    plugin_pb2.EmitEvent, {"stream": _REQUIRED_TEXT, "type": _REQUIRED_TEXT, "payload": _PAYLOAD}
)
register_rules(plugin_pb2.HandleEventRequest, {"event": Rule(required=True)})
register_rules(
    plugin_pb2.CommandRequest,
    {
        "command": _REQUIRED_TEXT,
        "args": _TEXT_8K,
        "raw_input": _TEXT_8K,
        "character_id": _REQUIRED_TEXT,
        "character_name": _REQUIRED_TEXT,
        "location_id": _REQUIRED_TEXT,
        "session_id": _REQUIRED_TEXT,
        "player_id": _REQUIRED_TEXT,
    },
)
register_rules(plugin_pb2.HandleCommandRequest, {"command": Rule(required=True)})
register_rules(plugin_pb2.CommandResponse, {"output": _TEXT_8K})
register_rules(
    plugin_pb2.AuditDecisionHint,
    {
        "id": Rule(min_len=1, max_len=128),
        "name": Rule(max_len=256),
        "message": Rule(max_len=1024),
        "action_qualifier": Rule(max_len=64),
        "resource": Rule(max_len=256),
    },
)

# --- holomush.plugin.v1: AttributeResolverService (served by the plugin) ------------------
register_rules(
    attribute_pb2.ResolveResourceRequest,
    {"resource_type": _REQUIRED_TEXT, "resource_id": _REQUIRED_TEXT},
)

# --- holomush.plugin.v1: PluginHostService (served by the host; the same table lets a
# host validate what plugins send it) -------------------------------------------------------
register_rules(plugin_pb2.FocusKey, {"target_id": _REQUIRED_TEXT})
register_rules(
    plugin_pb2.PluginHostServiceEmitEventRequest,
    {"stream": _REQUIRED_TEXT, "event_type": _REQUIRED_TEXT},
)
register_rules(
    plugin_pb2.PluginHostServiceLogRequest, {"level": _REQUIRED_TEXT, "message": _TEXT_8K}
)
for _kv_request in (
    plugin_pb2.PluginHostServiceKVGetRequest,
    plugin_pb2.PluginHostServiceKVSetRequest,
    plugin_pb2.PluginHostServiceKVDeleteRequest,
):
    register_rules(_kv_request, {"plugin_name": _REQUIRED_TEXT, "key": _REQUIRED_TEXT})
for _stream_request in (
    plugin_pb2.PluginHostServiceAddSessionStreamRequest,
    plugin_pb2.PluginHostServiceRemoveSessionStreamRequest,
):
    register_rules(_stream_request, {"session_id": _REQUIRED_TEXT, "stream": _REQUIRED_TEXT})
for _focus_request in (
    plugin_pb2.PluginHostServiceJoinFocusRequest,
    plugin_pb2.PluginHostServiceLeaveFocusRequest,
    plugin_pb2.PluginHostServicePresentFocusRequest,
):
    register_rules(_focus_request, {"session_id": _REQUIRED_TEXT, "target": Rule(required=True)})
register_rules(plugin_pb2.PluginHostServiceQueryStreamHistoryRequest, {"stream": _REQUIRED_TEXT})
