"""The lost-event check finds what a player was shown but the store does not hold: a line
with no event, a line shown more often than stored, a line from a stream the player does
not follow."""

from __future__ import annotations

import psycopg
import pytest

from load.store_check import PlayerView, check_against_store

SAID = 'Guest-1 says, "hi"'
ROOM = "location:01ROOM"


@pytest.fixture
async def store(postgres_conn: psycopg.AsyncConnection) -> None:
    """A ``holomush.events`` table with one say in ROOM (the columns the check reads)."""
    await postgres_conn.execute(
        "CREATE SCHEMA IF NOT EXISTS holomush;"
        " DROP TABLE IF EXISTS holomush.events;"
        " CREATE TABLE holomush.events (id text, stream text, type text, actor_kind smallint,"
        " actor_id text, payload json, created_at timestamptz DEFAULT now())"
    )
    await postgres_conn.execute(
        "INSERT INTO holomush.events (id, stream, type, actor_kind, actor_id, payload)"
        """ VALUES ('01', %s, 'say', 0, '01ALICE', '{"character_name": "Guest-1", "message": "hi"}')""",
        (ROOM,),
    )


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize(
    ("streams", "lines", "missing"),
    [
        ({ROOM}, [SAID], []),
        ({ROOM}, [SAID, SAID], [SAID]),
        ({ROOM}, [SAID, 'Guest-1 says, "never said"'], ['Guest-1 says, "never said"']),
        ({"location:01ELSEWHERE"}, [SAID], [SAID]),
    ],
)
async def test_every_line_shown_must_be_a_stored_event(
    postgres_dsn: str, streams: set[str], lines: list[str], missing: list[str]
) -> None:
    check = await check_against_store(postgres_dsn, [PlayerView("p", frozenset(streams), lines)])
    assert (check.lines_checked, check.events_in_store) == (len(lines), 1)
    assert check.missing == [("p", line) for line in missing]
    assert check.ok == (not missing)
