"""Capped exponential backoff between restart attempts."""

from __future__ import annotations

__all__ = ["Backoff"]


class Backoff:
    """``initial``, ``2·initial``, ``4·initial`` … seconds, never more than ``maximum``;
    `reset` starts over (after the plugin ran stably)."""

    def __init__(self, initial: float, maximum: float) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError("need 0 < initial <= maximum")
        self._initial = initial
        self._maximum = maximum
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._maximum)
        return delay

    def peek(self) -> float:
        """The delay the next `next_delay` call returns."""
        return self._next

    def reset(self) -> None:
        self._next = self._initial
