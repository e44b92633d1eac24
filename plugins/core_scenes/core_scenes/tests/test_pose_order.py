"""Who may pose next, per pose-order mode (`core_scenes.pose_order`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core_scenes.model import PoseOrderMode, PoserStanding
from core_scenes.pose_order import compute_pose_order

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def standings(poses: list[str], people: list[str]) -> list[PoserStanding]:
    """Standings after `poses` (character ids in pose order) among `people` (join order)."""
    result = []
    for index, person in enumerate(people):
        mine = [seq for seq, who in enumerate(poses, start=1) if who == person]
        last = mine[-1] if mine else None
        result.append(
            PoserStanding(
                character_id=person,
                character_name=person.title(),
                joined_at=T0 + timedelta(minutes=index),
                last_pose_seq=last,
                last_posed_at=T0 + timedelta(hours=last) if last else None,
                poses_since=len(poses) - last if last else 0,
            )
        )
    return result


def eligible(mode: PoseOrderMode, poses: list[str], people: list[str]) -> list[str]:
    return [
        e.character_id for e in compute_pose_order(mode, standings(poses, people)) if e.is_eligible
    ]


def test_free_lets_everyone_pose() -> None:
    assert eligible(PoseOrderMode.FREE, ["a", "a", "a"], ["a", "b", "c"]) == ["a", "b", "c"]


def test_strict_is_a_round_robin_in_join_order() -> None:
    people = ["a", "b", "c"]
    assert eligible(PoseOrderMode.STRICT, [], people) == ["a"]
    assert eligible(PoseOrderMode.STRICT, ["a"], people) == ["b"]
    assert eligible(PoseOrderMode.STRICT, ["a", "b"], people) == ["c"]
    assert eligible(PoseOrderMode.STRICT, ["a", "b", "c"], people) == ["a"]
    # A newcomer (never posed) goes next.
    assert eligible(PoseOrderMode.STRICT, ["a", "b", "c"], [*people, "d"]) == ["d"]


def test_three_pose_rule_waits_for_three_other_poses() -> None:
    people = ["a", "b", "c", "d", "e"]
    assert eligible(PoseOrderMode.THREE_POSE_RULE, ["a"], people) == ["b", "c", "d", "e"]
    assert "a" not in eligible(PoseOrderMode.THREE_POSE_RULE, ["a", "b", "c"], people)
    assert "a" in eligible(PoseOrderMode.THREE_POSE_RULE, ["a", "b", "c", "b"], people)


def test_pose_rules_shrink_in_small_scenes() -> None:
    # Two people under 5pr: wait for one other pose, so they alternate.
    assert eligible(PoseOrderMode.FIVE_POSE_RULE, ["a"], ["a", "b"]) == ["b"]
    assert eligible(PoseOrderMode.FIVE_POSE_RULE, ["a", "b"], ["a", "b"]) == ["a"]
    # Alone, one may always pose.
    assert eligible(PoseOrderMode.FIVE_POSE_RULE, ["a", "a"], ["a"]) == ["a"]


def test_entries_keep_join_order_and_pose_times() -> None:
    entries = compute_pose_order(PoseOrderMode.STRICT, standings(["b"], ["a", "b"]))
    assert [(e.character_id, e.character_name, e.is_eligible) for e in entries] == [
        ("a", "A", True),
        ("b", "B", False),
    ]
    assert entries[0].last_posed_at is None
    assert entries[1].last_posed_at == T0 + timedelta(hours=1)
    assert compute_pose_order(PoseOrderMode.STRICT, []) == []


@given(
    mode=st.sampled_from(list(PoseOrderMode)),
    size=st.integers(min_value=1, max_value=7),
    picks=st.lists(st.integers(min_value=0, max_value=6), max_size=40),
)
def test_someone_is_always_eligible_and_strict_picks_exactly_one(
    mode: PoseOrderMode, size: int, picks: list[int]
) -> None:
    people = [f"p{i}" for i in range(size)]
    poses: list[str] = []
    for pick in picks:
        allowed = eligible(mode, poses, people)
        assert allowed, (mode, poses)
        if mode is PoseOrderMode.STRICT:
            assert len(allowed) == 1
        poses.append(allowed[pick % len(allowed)])
