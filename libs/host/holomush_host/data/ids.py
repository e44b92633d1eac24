"""ULID identifiers: generation (strictly increasing within the process) and validation.

Every id the host stores is a ULID string in canonical form (26 characters, Crockford
base32, upper case), so string order is time order. Columns holding ids use the ``"C"``
collation, which compares those strings byte by byte.
"""

from __future__ import annotations

import os
import re
import threading
import time

from ulid import ULID

__all__ = ["UlidFactory", "is_ulid", "new_ulid"]

_CANONICAL = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_RANDOM_BITS = 80
_MAX_ULID = (1 << 128) - 1


def is_ulid(text: object) -> bool:
    """Whether ``text`` is a ULID string in canonical (upper-case) form."""
    return isinstance(text, str) and _CANONICAL.fullmatch(text) is not None


class UlidFactory:
    """Makes ULIDs that increase strictly, even within one millisecond or if the clock steps back.

    ``floor`` lets a caller demand ids above one it has seen (another process's newest
    event), which keeps ids in commit order across host processes.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self, floor: str | None = None) -> str:
        return self.many(1, floor)[0]

    def many(self, count: int, floor: str | None = None) -> list[str]:
        """``count`` new ids, ascending, all above ``floor`` and every id made before."""
        with self._lock:
            lowest = self._last
            if floor:
                lowest = max(lowest, int(ULID.from_str(floor)))
            candidate = (time.time_ns() // 1_000_000) << _RANDOM_BITS | int.from_bytes(
                os.urandom(10), "big"
            )
            if candidate <= lowest:
                candidate = lowest + 1
            if candidate + count - 1 > _MAX_ULID:
                raise OverflowError("ULID space exhausted")
            self._last = candidate + count - 1
        return [str(ULID.from_int(candidate + offset)) for offset in range(count)]


_default_factory = UlidFactory()


def new_ulid() -> str:
    """A new id from the process-wide factory."""
    return _default_factory.next()
