"""Names, patterns and fixed vocabularies shared by manifest validation and the policy installer.

Every pattern and set here is taken from the reference (reference-behaviour.md §3, §4.11).
"""

from __future__ import annotations

import re
from typing import Final

#: Plugin names, policy names, emits namespaces and resource type names (§3.1).
NAME_PATTERN: Final = re.compile(r"^[a-z](-?[a-z0-9])*$")
NAME_MAX_LENGTH: Final = 64

#: Command and alias names: a letter, then up to 19 of letters, digits or ``_!?@#$%^+-`` (§3.3).
COMMAND_NAME_PATTERN: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9_!?@#$%^+\-]{0,19}$")
COMMAND_NAME_MAX_LENGTH: Final = 20

#: A fully qualified protobuf service name (``package.Service``) or a bare one.
SERVICE_NAME_PATTERN: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

#: Resource types a capability may name without any plugin declaring them (§3.3).
CORE_RESOURCE_TYPES: Final = frozenset(
    {
        "character",
        "location",
        "exit",
        "object",
        "stream",
        "property",
        "scene",
        "command",
        "server",
        "alias",
        "player",
        "plugin",
    }
)

#: Resource types no plugin may declare or write character policies for (§3.2, §4.11).
PROTECTED_RESOURCE_TYPES: Final = frozenset(
    {
        "character",
        "location",
        "exit",
        "object",
        "stream",
        "property",
        "command",
        "system",
        "server",
        "player",
    }
)

#: Actions a capability may name without any plugin declaring them (§3.3).
CORE_ACTIONS: Final = frozenset(
    {"read", "write", "emit", "enter", "use", "delete", "execute", "admin"}
)

VERB_CATEGORIES: Final = frozenset({"communication", "movement", "state", "system", "command"})
VERB_FORMATS: Final = frozenset(
    {"speech", "action", "narrative", "notification", "error", "snapshot", "delta"}
)
VERB_DISPLAY_TARGETS: Final = frozenset({"terminal", "state", "both"})

#: Services the host itself serves to plugins; they satisfy ``requires`` without a provider.
DEFAULT_HOST_SERVICES: Final = frozenset(
    {"holomush.plugin.v1.PluginHostService", "holomush.world.v1.WorldService"}
)

DEFAULT_PRIORITY: Final = 100
MIN_PRIORITY: Final = -999


def is_plugin_name(value: str) -> bool:
    """True when ``value`` follows the plugin naming pattern and length limit."""
    return len(value) <= NAME_MAX_LENGTH and NAME_PATTERN.fullmatch(value) is not None
