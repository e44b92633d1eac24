"""Pose order: who may pose next in a scene.

Only participants (the owner and members) pose, and only while the scene is active. The
modes decide who among them is *eligible* now:

- ``free``: everyone, always.
- ``strict``: a round robin. Exactly one participant is eligible: the one who has waited
  longest, i.e. whose latest pose is the oldest. Participants who have not posed yet come
  first, in the order they joined (the owner first), so a newcomer poses next.
- ``3pr`` / ``5pr`` (the three- and five-pose rules): after posing, a participant waits
  until N further poses have been made in the scene (N = 3 or 5). In a scene with fewer
  than N+1 participants N shrinks to (participants - 1), so a small scene never stalls.
  Someone who has not posed yet may always pose.

In every mode at least one participant is eligible: the least recent poser has seen every
other participant pose since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core_scenes.model import PoseOrderMode, PoserStanding

__all__ = ["PoseOrderEntry", "compute_pose_order", "next_eligible"]

_POSE_RULE_WAIT = {PoseOrderMode.THREE_POSE_RULE: 3, PoseOrderMode.FIVE_POSE_RULE: 5}


@dataclass(frozen=True, slots=True)
class PoseOrderEntry:
    character_id: str
    character_name: str
    last_posed_at: datetime | None
    is_eligible: bool


def _waited_longest(standings: Sequence[PoserStanding]) -> PoserStanding:
    # Never posed sorts before any pose; among those, by join order.
    return min(
        standings,
        key=lambda s: (
            s.last_pose_seq is not None,
            s.last_pose_seq or 0,
            s.joined_at,
            s.character_id,
        ),
    )


def compute_pose_order(
    mode: PoseOrderMode, standings: Sequence[PoserStanding]
) -> list[PoseOrderEntry]:
    """Every participant of `standings` (in the given order) with its eligibility."""
    if not standings:
        return []
    if mode is PoseOrderMode.STRICT:
        chosen = _waited_longest(standings).character_id
        eligible = {s.character_id for s in standings if s.character_id == chosen}
    elif mode in _POSE_RULE_WAIT:
        wait = min(_POSE_RULE_WAIT[mode], len(standings) - 1)
        eligible = {
            s.character_id for s in standings if s.last_pose_seq is None or s.poses_since >= wait
        }
    else:
        eligible = {s.character_id for s in standings}
    return [
        PoseOrderEntry(
            character_id=s.character_id,
            character_name=s.character_name,
            last_posed_at=s.last_posed_at,
            is_eligible=s.character_id in eligible,
        )
        for s in standings
    ]


def next_eligible(entries: Sequence[PoseOrderEntry]) -> list[PoseOrderEntry]:
    return [entry for entry in entries if entry.is_eligible]
