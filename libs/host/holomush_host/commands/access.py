"""The two authorization gates in front of every command (reference §4.10 steps 6-7).

Layer 1: may the character execute ``command:<name>``? Layer 2: for each capability the
command declares, may the character perform that action on that resource type at all,
honouring the capability's scope (see ``PolicyEngine.can_perform_action``). Both must
allow; the specific resource is checked later, where it is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from holomush_host.commands.errors import CommandError, CommandErrorCode
from holomush_host.commands.registry import CommandEntry
from holomush_host.policy.attributes import AttributeSource
from holomush_host.policy.engine import AccessRequest, Decision, PolicyEngine


@dataclass(frozen=True)
class CommandAuthorization:
    """The allowing decisions, for the audit log."""

    execute: Decision
    capabilities: tuple[Decision, ...]


def _require(decision: Decision, what: str) -> Decision:
    if decision.allowed:
        return decision
    if decision.error is not None:
        raise CommandError(
            CommandErrorCode.ACCESS_EVALUATION_FAILED,
            f"{what}: {decision.error}",
            decision=decision,
        )
    raise CommandError(
        CommandErrorCode.PERMISSION_DENIED, f"{what}: {decision.message}", decision=decision
    )


async def authorize_command(
    engine: PolicyEngine, attributes: AttributeSource, *, character_id: str, entry: CommandEntry
) -> CommandAuthorization:
    """Allow or raise PERMISSION_DENIED / ACCESS_EVALUATION_FAILED (a :class:`CommandError`)."""
    subject = f"character:{character_id}"
    execute = _require(
        await engine.evaluate(
            AccessRequest(subject, "execute", f"command:{entry.name}"), attributes
        ),
        f"execute command:{entry.name}",
    )
    decisions = []
    for capability in entry.capabilities:
        decision = await engine.can_perform_action(
            subject, capability.action, capability.resource, attributes, scope=capability.scope
        )
        decisions.append(
            _require(
                decision,
                f"capability {capability.action} on {capability.resource} ({capability.scope.value})",
            )
        )
    return CommandAuthorization(execute, tuple(decisions))
