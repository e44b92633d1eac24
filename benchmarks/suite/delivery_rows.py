"""Row 4: say events through echo-bot and back into the event store (`delivery_load`,
run inside the host under test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from suite.host_process import HostUnderTest
from suite.stats import format_ms
from suite.table import Row, verdict

__all__ = ["DeliverySettings", "delivery_rows"]

TARGET_RATE = 6000.0
TARGET_LAG_P99 = 0.050
_REPLY_MARGIN = 30.0  # the load's own duration plus this is how long an answer may take


@dataclass(frozen=True)
class DeliverySettings:
    seconds: float = 10.0
    players: int = 64
    rooms: int = 64
    paced_seconds: float = 5.0
    paced_share: float = 0.5
    """Below the target rate, the lag run offers this share of the measured maximum."""


def _lags(result: dict[str, Any]) -> str:
    if result["lag_p50"] is None:
        return "no echo arrived"
    return f"lag p50 {format_ms(result['lag_p50'])}, p99 {format_ms(result['lag_p99'])}"


async def delivery_rows(host: HostUnderTest, settings: DeliverySettings) -> list[Row]:
    saturated = await host.request(
        settings.seconds + _REPLY_MARGIN,
        op="closed_loop",
        players=settings.players,
        rooms=settings.rooms,
        seconds=settings.seconds,
    )
    rate = saturated["echoed_in_window"] / saturated["seconds"]
    rows = [
        Row(
            "4a",
            f"event delivery, sustained: `say` → echo-bot → echo stored; {settings.players} "
            f"characters in {settings.rooms} rooms, each saying again once its echo is "
            f"stored, {saturated['seconds']:g} s",
            f"{rate:,.0f} says delivered/s ({2 * rate:,.0f} store events/s incl. echoes); "
            f"{_lags(saturated)}",
            f"≥ {TARGET_RATE:,.0f} events/s (says delivered)",
            verdict(rate >= TARGET_RATE),
        )
    ]
    offered = TARGET_RATE if rate >= TARGET_RATE else max(1.0, round(rate * settings.paced_share))
    paced = await host.request(
        settings.paced_seconds + _REPLY_MARGIN,
        op="paced",
        rate=offered,
        rooms=settings.rooms,
        seconds=settings.paced_seconds,
    )
    lost = paced["says"] - paced["echoed"]
    lag_ok = paced["lag_p99"] is not None and paced["lag_p99"] <= TARGET_LAG_P99 and lost == 0
    rows.append(
        Row(
            "4b",
            f"event delivery lag (say append → echo append) at a steady {offered:,.0f} says/s "
            f"for {paced['seconds']:g} s"
            + ("" if offered >= TARGET_RATE else f" ({settings.paced_share:.0%} of 4a's rate)"),
            f"{_lags(paced)}; {paced['echoed']:,} of {paced['says']:,} echoed",
            f"lag p99 ≤ {format_ms(TARGET_LAG_P99)}, none lost",
            verdict(lag_ok),
        )
    )
    return rows
