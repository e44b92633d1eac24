"""Players' commands: dispatch, authorization wiring, built-ins and event rendering."""

from holomush_host.dispatch.authorization import (
    CharacterAttributeProvider,
    HostAuthorization,
    PluginResourceAttributeProvider,
    host_policies,
)
from holomush_host.dispatch.builtins import BUILTIN_COMMANDS, HostCommands, register_builtins
from holomush_host.dispatch.dispatcher import (
    DEFAULT_COMMAND_TIMEOUT,
    CommandDispatcher,
    DispatchResult,
    expand_shortcut,
)
from holomush_host.dispatch.player import PlayerContext
from holomush_host.dispatch.ports import (
    PluginAttributes,
    PluginCallError,
    PluginCommands,
    PluginUnavailableError,
)
from holomush_host.dispatch.rendering import render_event
from holomush_host.dispatch.statuses import FATAL_PLAYER_MESSAGE, handling_for

__all__ = [
    "BUILTIN_COMMANDS",
    "DEFAULT_COMMAND_TIMEOUT",
    "FATAL_PLAYER_MESSAGE",
    "CharacterAttributeProvider",
    "CommandDispatcher",
    "DispatchResult",
    "HostAuthorization",
    "HostCommands",
    "PlayerContext",
    "PluginAttributes",
    "PluginCallError",
    "PluginCommands",
    "PluginResourceAttributeProvider",
    "PluginUnavailableError",
    "expand_shortcut",
    "handling_for",
    "host_policies",
    "register_builtins",
    "render_event",
]
