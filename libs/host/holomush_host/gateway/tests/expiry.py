"""Making a detached session's TTL run out now, instead of waiting for it."""

from __future__ import annotations

from holomush_host.data.host_data import HostData


async def expire_now(data: HostData, session_id: str) -> None:
    """Move the session's expiry one second into the past."""
    async with data.pool.connection() as conn:
        await conn.execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
            (session_id,),
        )
