"""Resume codes: what a player types (``resume <code>``) to take back a dropped session.

A code is 128 random bits, URL-safe base64 (22 characters), shown to the player once.
The host keeps only its SHA-256: the code is as strong as a password but random, so a
plain hash (no salt, no slow hash) is enough and lets the session be found by it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Final

RESUME_CODE_BYTES: Final = 16
_CODE: Final = re.compile(r"[A-Za-z0-9_-]{22}")
#: Quotes a player may copy along with the code from the welcome text.
_QUOTES: Final = "'\"`"


@dataclass(frozen=True)
class ResumeCode:
    code: str
    """What the player is told (and types)."""
    digest: str
    """What the host stores: SHA-256 of the code, 64 lowercase hex digits."""


def new_resume_code() -> ResumeCode:
    code = secrets.token_urlsafe(RESUME_CODE_BYTES)
    return ResumeCode(code, _digest(code))


def resume_code_digest(typed: str) -> str | None:
    """The stored form of a code the player typed; None when it cannot be a code."""
    code = typed.strip().strip(_QUOTES)
    if not _CODE.fullmatch(code):
        return None
    return _digest(code)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()
