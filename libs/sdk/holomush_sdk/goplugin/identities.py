"""Certificate identities of the host and of each plugin under HoloMUSH mTLS.

The prefixes keep the roles apart: no plugin name can produce the host's identity, so a
plugin's certificate can never pass for the host's (or for another plugin's).
"""

from __future__ import annotations

import re
from typing import Final

HOST_IDENTITY: Final = "holomush-host"
PLUGIN_IDENTITY_PREFIX: Final = "holomush-plugin-"

# The manifest's plugin-name rule (reference §3.1).
_PLUGIN_NAME_RE: Final = re.compile(r"[a-z](-?[a-z0-9])*")
MAX_PLUGIN_NAME_LENGTH: Final = 64


def validate_plugin_name(name: str) -> str:
    """Return ``name`` if it is a valid plugin name, else raise ValueError saying why."""
    if not _PLUGIN_NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid plugin name {name!r}: name must start with a-z, contain only a-z, 0-9, "
            "single hyphens, and not end with a hyphen"
        )
    if len(name) > MAX_PLUGIN_NAME_LENGTH:
        raise ValueError(f"invalid plugin name {name!r}: name exceeds maximum length")
    return name


def plugin_identity(name: str) -> str:
    """The DNS SAN (and CN) of plugin ``name``'s certificate."""
    return PLUGIN_IDENTITY_PREFIX + validate_plugin_name(name)
