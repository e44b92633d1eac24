"""Audit hints: partial audit records a command handler attaches to its response.

Inside `handle_command`, record a decision with::

    audit().deny("scene-private", "not invited", {"scene.id": scene_id})

The SDK collects the hints recorded during the call, puts them before the response's own
`CommandResponse.audit_hints`, and sends both to the host, which stamps subject, source and
time and writes the audit log.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from holomush.plugin.v1 import plugin_pb2

__all__ = [
    "AuditEffect",
    "AuditHint",
    "AuditRecorder",
    "audit",
    "audit_context",
    "audit_hint_from_proto",
    "audit_hint_to_proto",
    "harvest_audit_hints",
]

_log = logging.getLogger(__name__)


class AuditEffect(enum.StrEnum):
    DENY = "deny"
    ALLOW = "allow"


@dataclass(frozen=True, slots=True)
class AuditHint:
    """One audit record. `id` is a slug (1..128 chars); `resource` is ``"<type>:<id>"``."""

    id: str
    effect: AuditEffect | None
    """None is sent as AUDIT_EFFECT_UNSPECIFIED, which the host drops."""
    message: str = ""
    name: str = ""
    action_qualifier: str = ""
    """Appended to the audited action as ``"<command>:<qualifier>"``."""
    resource: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)


_EFFECT_TO_PROTO = {
    AuditEffect.DENY: plugin_pb2.AUDIT_EFFECT_DENY,
    AuditEffect.ALLOW: plugin_pb2.AUDIT_EFFECT_ALLOW,
}
_EFFECT_FROM_PROTO = {value: effect for effect, value in _EFFECT_TO_PROTO.items()}

# The hints of the command being handled; None outside a command handler.
_current_hints: ContextVar[list[AuditHint] | None] = ContextVar(
    "holomush_sdk_audit_hints", default=None
)


class AuditRecorder:
    """Records hints into the current command's audit context (see `audit`)."""

    __slots__ = ("_hints",)

    def __init__(self, hints: list[AuditHint] | None) -> None:
        self._hints = hints

    def deny(self, id: str, message: str, attributes: Mapping[str, str] | None = None) -> None:
        self._record(AuditEffect.DENY, id, message, attributes)

    def allow(self, id: str, message: str, attributes: Mapping[str, str] | None = None) -> None:
        self._record(AuditEffect.ALLOW, id, message, attributes)

    def _record(
        self, effect: AuditEffect, id: str, message: str, attributes: Mapping[str, str] | None
    ) -> None:
        if self._hints is None:
            return  # not inside a command handler: nothing would ever send the hint
        if not id:
            _log.warning("holomush_sdk.auditing: dropping hint with empty ID")
            return
        self._hints.append(
            AuditHint(id=id, effect=effect, message=message, attributes=dict(attributes or {}))
        )


def audit() -> AuditRecorder:
    """The recorder for the command being handled; a silent no-op outside a handler."""
    return AuditRecorder(_current_hints.get())


@contextlib.contextmanager
def audit_context() -> Iterator[None]:
    """Open a fresh hint collection for one command (the SDK does this around handlers)."""
    token = _current_hints.set([])
    try:
        yield
    finally:
        _current_hints.reset(token)


def harvest_audit_hints() -> list[AuditHint]:
    """Return the hints recorded so far in this context and clear them."""
    hints = _current_hints.get()
    if hints is None:
        return []
    harvested = list(hints)
    hints.clear()
    return harvested


def audit_hint_to_proto(hint: AuditHint) -> plugin_pb2.AuditDecisionHint:
    effect = (
        _EFFECT_TO_PROTO.get(hint.effect, plugin_pb2.AUDIT_EFFECT_UNSPECIFIED)
        if hint.effect is not None
        else plugin_pb2.AUDIT_EFFECT_UNSPECIFIED
    )
    return plugin_pb2.AuditDecisionHint(
        id=hint.id,
        name=hint.name,
        message=hint.message,
        effect=effect,
        action_qualifier=hint.action_qualifier,
        resource=hint.resource,
        attributes=dict(hint.attributes),
    )


def audit_hint_from_proto(message: plugin_pb2.AuditDecisionHint) -> AuditHint:
    """Unknown or unspecified effects become None (the host drops such hints)."""
    return AuditHint(
        id=message.id,
        effect=_EFFECT_FROM_PROTO.get(message.effect),
        message=message.message,
        name=message.name,
        action_qualifier=message.action_qualifier,
        resource=message.resource,
        attributes=dict(message.attributes),
    )
