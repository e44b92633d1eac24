"""The policy decision point: ``PolicyEngine.evaluate`` and the type-level pre-flight.

Combining is deny-overrides with default deny (reference §4.11 engine steps). Attributes
are resolved lazily: a provider is asked only when some candidate policy reads its
namespace, at most once per entity per decision, under a timeout; any provider error or
timeout denies (fail closed) and is reported in ``Decision.error``.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from holomush_host.manifest.model import CapabilityScope
from holomush_host.policy.ast import (
    Effect,
    PolicyAst,
    ResourceExact,
    ResourceType,
    Root,
    iter_references,
)
from holomush_host.policy.attributes import AttributeSource, namespaced
from holomush_host.policy.errors import AccessRequestError
from holomush_host.policy.evaluator import (
    AttributeBags,
    AttributeValue,
    Unknown,
    UnknownKind,
    evaluate_condition,
)
from holomush_host.policy.policy_set import Policy, PolicySet

_ENTITY_TYPE: Final = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
DEFAULT_RESOLUTION_TIMEOUT: Final = 5.0

#: Resolves ``session:<id>`` to the character id acting through it (``None``: no session).
SessionResolver = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class EntityRef:
    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def parse_entity(text: str, what: str = "entity") -> EntityRef:
    """Split ``type:id``; the id may itself contain ``:`` (``kv:plugin:key``)."""
    kind, sep, ident = text.partition(":")
    if not sep or not ident or _ENTITY_TYPE.fullmatch(kind) is None:
        raise AccessRequestError(f"{what} {text!r} must have the form type:id")
    if any(ch.isspace() or not ch.isprintable() for ch in ident):
        raise AccessRequestError(
            f"{what} {text!r} must not contain whitespace or control characters"
        )
    return EntityRef(kind, ident)


@dataclass(frozen=True)
class AccessRequest:
    """``subject`` and ``resource`` are ``type:id`` strings, e.g. ``character:01H…``."""

    subject: str
    action: str
    resource: str


class DecisionEffect(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


class DecisionReason(enum.Enum):
    PERMITTED = "permitted"
    #: Pre-flight only: a permit holds unless the specific resource says otherwise.
    PERMITTED_PENDING_RESOURCE = "permitted_pending_resource"
    SYSTEM_BYPASS = "system_bypass"
    FORBIDDEN = "forbidden"
    NO_APPLICABLE_POLICY = "no_applicable_policy"
    NO_SATISFIED_PERMIT = "no_satisfied_permit"
    #: A forbid could not be evaluated (missing attribute, type error): fail closed.
    EVALUATION_ERROR = "evaluation_error"
    ATTRIBUTE_RESOLUTION_FAILED = "attribute_resolution_failed"
    INVALID_REQUEST = "invalid_request"


@dataclass(frozen=True)
class Decision:
    effect: DecisionEffect
    reason: DecisionReason
    #: One sentence for logs and audit.
    message: str
    #: The policies that decided it (the forbids that fired, or the permits that held).
    policies: tuple[str, ...] = ()
    #: Set when the decision is a deny because something failed, not because of policy.
    error: str | None = None

    @property
    def allowed(self) -> bool:
        return self.effect is DecisionEffect.ALLOW


def _deny(
    reason: DecisionReason, message: str, policies: Sequence[str] = (), error: str | None = None
) -> Decision:
    return Decision(DecisionEffect.DENY, reason, message, tuple(policies), error)


class _ResolutionError(Exception):
    pass


def _target_matches_subject(ast: PolicyAst, subject: EntityRef, action: str) -> bool:
    target = ast.target
    if target.principal_type is not None and target.principal_type != subject.type:
        return False
    return not target.actions or action in target.actions


class PolicyEngine:
    def __init__(
        self,
        policies: PolicySet,
        *,
        session_resolver: SessionResolver | None = None,
        resolution_timeout: float = DEFAULT_RESOLUTION_TIMEOUT,
    ) -> None:
        self._policies = policies
        self._session_resolver = session_resolver
        self._timeout = resolution_timeout

    async def evaluate(
        self, request: AccessRequest, attributes: AttributeSource, *, system_context: bool = False
    ) -> Decision:
        """Decide one request against every installed policy."""
        if _is_system(request.subject):
            return self._system(system_context)
        try:
            subject = parse_entity(request.subject, "subject")
            resource = parse_entity(request.resource, "resource")
            _check_action(request.action)
        except AccessRequestError as exc:
            return _deny(DecisionReason.INVALID_REQUEST, str(exc), error=str(exc))
        try:
            async with asyncio.timeout(self._timeout):
                subject = await self._acting_subject(subject)
                candidates = [
                    p
                    for p in self._policies.policies()
                    if _target_matches_subject(p.ast, subject, request.action)
                    and _resource_matches(p.ast, resource)
                ]
                if not candidates:
                    return _deny(
                        DecisionReason.NO_APPLICABLE_POLICY,
                        f"no policy applies to {request.action} on {resource}",
                    )
                bags = await self._bags(candidates, subject, resource, request.action, attributes)
        except (_ResolutionError, TimeoutError) as exc:
            detail = str(exc) or f"attribute resolution took longer than {self._timeout}s"
            return _deny(
                DecisionReason.ATTRIBUTE_RESOLUTION_FAILED, f"denied: {detail}", error=detail
            )
        return _combine(candidates, bags, optimistic=False)

    async def can_perform_action(
        self,
        subject: str,
        action: str,
        resource_type: str,
        attributes: AttributeSource,
        *,
        scope: CapabilityScope = CapabilityScope.SELF,
        system_context: bool = False,
    ) -> Decision:
        """Type-level pre-flight (command capabilities, Layer 2).

        Resource attributes are not resolved. A permit that holds except for conditions
        on the resource allows, because the specific resource is checked later, unless
        ``scope`` is ``global``: a command acting on every resource of the type needs a
        permit that holds without them. A forbid that needs the resource is left to that
        later check; a forbid that fails to evaluate for any other reason denies.
        """
        if _is_system(subject):
            return self._system(system_context)
        try:
            entity = parse_entity(subject, "subject")
            _check_action(action)
            if _ENTITY_TYPE.fullmatch(resource_type) is None:
                raise AccessRequestError(
                    f"resource type {resource_type!r} is not a valid type name"
                )
        except AccessRequestError as exc:
            return _deny(DecisionReason.INVALID_REQUEST, str(exc), error=str(exc))
        try:
            async with asyncio.timeout(self._timeout):
                entity = await self._acting_subject(entity)
                candidates = [
                    p
                    for p in self._policies.policies()
                    if _target_matches_subject(p.ast, entity, action)
                    and _type_matches(p.ast, resource_type)
                ]
                if not candidates:
                    return _deny(
                        DecisionReason.NO_APPLICABLE_POLICY,
                        f"no policy applies to {action} on {resource_type}",
                    )
                bags = await self._bags(candidates, entity, None, action, attributes)
        except (_ResolutionError, TimeoutError) as exc:
            detail = str(exc) or f"attribute resolution took longer than {self._timeout}s"
            return _deny(
                DecisionReason.ATTRIBUTE_RESOLUTION_FAILED, f"denied: {detail}", error=detail
            )
        return _combine(candidates, bags, optimistic=scope is not CapabilityScope.GLOBAL)

    # --- helpers ---------------------------------------------------------------------

    @staticmethod
    def _system(system_context: bool) -> Decision:
        if system_context:
            return Decision(DecisionEffect.ALLOW, DecisionReason.SYSTEM_BYPASS, "system context")
        message = "the system subject is only allowed from a system context"
        return _deny(DecisionReason.INVALID_REQUEST, message, error=message)

    async def _acting_subject(self, subject: EntityRef) -> EntityRef:
        if subject.type != "session":
            return subject
        if self._session_resolver is None:
            raise _ResolutionError("session subjects need a session resolver")
        try:
            character = await self._session_resolver(subject.id)
        except Exception as exc:  # fail closed on any resolver failure
            raise _ResolutionError(f"resolving {subject} failed: {exc}") from exc
        if not character:
            raise _ResolutionError(f"{subject} is not an active session")
        return EntityRef("character", character)

    async def _bags(
        self,
        candidates: Sequence[Policy],
        subject: EntityRef,
        resource: EntityRef | None,
        action: str,
        attributes: AttributeSource,
    ) -> AttributeBags:
        references = [ref for p in candidates for ref in iter_references(p.ast.condition)]
        roots = {root for root, _ in references}

        def needs(root: Root, entity: EntityRef) -> bool:
            return any(r is root and path[0] == entity.type for r, path in references)

        principal_task = self._entity_bag(subject, attributes, needs(Root.PRINCIPAL, subject))
        resource_task = (
            self._entity_bag(resource, attributes, needs(Root.RESOURCE, resource))
            if resource is not None
            else _none()
        )
        env_task = self._environment(attributes, Root.ENV in roots)
        principal, resource_bag, env = await asyncio.gather(principal_task, resource_task, env_task)
        return AttributeBags(principal, resource_bag, {"name": action}, env)

    async def _entity_bag(
        self, entity: EntityRef, attributes: AttributeSource, needed: bool
    ) -> dict[str, AttributeValue]:
        bag: dict[str, AttributeValue] = {"id": entity.id}
        provider = attributes.provider(entity.type) if needed else None
        if provider is None:
            return bag
        try:
            values = await provider.resolve(entity.id)
        except Exception as exc:  # fail closed on any provider failure
            raise _ResolutionError(f"resolving attributes of {entity} failed: {exc}") from exc
        if values is not None:
            bag.update(namespaced(entity.type, values, provider.attribute_names))
        return bag

    @staticmethod
    async def _environment(attributes: AttributeSource, needed: bool) -> dict[str, AttributeValue]:
        if not needed:
            return {}
        try:
            return await attributes.environment()
        except Exception as exc:  # fail closed on any provider failure
            raise _ResolutionError(f"resolving environment attributes failed: {exc}") from exc


async def _none() -> None:
    return None


def _is_system(subject: str) -> bool:
    return subject == "system" or subject.startswith("system:")


def _check_action(action: str) -> None:
    if not action or any(ch.isspace() or not ch.isprintable() for ch in action):
        raise AccessRequestError(f"action {action!r} must be a non-empty word")


def _resource_matches(ast: PolicyAst, resource: EntityRef) -> bool:
    target = ast.target.resource
    if target is None:
        return True
    if isinstance(target, ResourceType):
        return target.name == resource.type
    return target.value == str(resource)


def _type_matches(ast: PolicyAst, resource_type: str) -> bool:
    target = ast.target.resource
    if isinstance(target, ResourceExact):
        return False  # instance policies say nothing about the type as a whole
    return target is None or target.name == resource_type


def _combine(candidates: Iterable[Policy], bags: AttributeBags, *, optimistic: bool) -> Decision:
    forbids: list[str] = []
    forbid_errors: list[tuple[str, str]] = []
    permits: list[str] = []
    pending_permits: list[str] = []
    permit_problems: list[str] = []
    for policy in candidates:
        outcome = evaluate_condition(policy.ast.condition, bags)
        is_forbid = policy.ast.effect is Effect.FORBID
        if outcome is True:
            (forbids if is_forbid else permits).append(policy.name)
        elif isinstance(outcome, Unknown):
            if outcome.kind is UnknownKind.ERROR:
                if is_forbid:
                    forbid_errors.append((policy.name, outcome.detail))
                else:
                    permit_problems.append(f"{policy.name}: {outcome.detail}")
            elif not is_forbid:
                pending_permits.append(policy.name)
    if forbids:
        return _deny(DecisionReason.FORBIDDEN, f"forbidden by {', '.join(forbids)}", forbids)
    if forbid_errors:
        names = [name for name, _ in forbid_errors]
        detail = "; ".join(f"{name}: {why}" for name, why in forbid_errors)
        return _deny(
            DecisionReason.EVALUATION_ERROR,
            f"denied because a forbid policy could not be evaluated ({detail})",
            names,
            detail,
        )
    if permits:
        return Decision(
            DecisionEffect.ALLOW,
            DecisionReason.PERMITTED,
            f"permitted by {', '.join(permits)}",
            tuple(permits),
        )
    if optimistic and pending_permits:
        return Decision(
            DecisionEffect.ALLOW,
            DecisionReason.PERMITTED_PENDING_RESOURCE,
            f"permitted by {', '.join(pending_permits)}, subject to the resource's attributes",
            tuple(pending_permits),
        )
    message = "no permit policy is satisfied"
    if permit_problems:
        message += f" ({'; '.join(permit_problems)})"
    return _deny(DecisionReason.NO_SATISFIED_PERMIT, message)
