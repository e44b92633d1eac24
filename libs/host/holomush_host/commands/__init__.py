"""Commands: the registry, the line parser, request limits and the authorization gates."""

from holomush_host.commands.access import CommandAuthorization, authorize_command
from holomush_host.commands.errors import (
    ACCESS_EVALUATION_FAILED_MESSAGE,
    COMMAND_TOO_LONG_MESSAGE,
    EMPTY_INPUT_MESSAGE,
    GENERIC_PLAYER_MESSAGE,
    INVALID_INPUT_MESSAGE,
    PERMISSION_DENIED_MESSAGE,
    UNKNOWN_COMMAND_MESSAGE,
    CommandError,
    CommandErrorCode,
)
from holomush_host.commands.invocation import CommandInvocation, build_invocation
from holomush_host.commands.parser import (
    MAX_ARGS_LENGTH,
    MAX_RAW_INPUT_LENGTH,
    ParsedCommand,
    parse_command_line,
)
from holomush_host.commands.registry import (
    CommandConflict,
    CommandConflictError,
    CommandEntry,
    CommandRegistry,
    CommandSource,
    ResolvedCommand,
    build_command_registry,
)

__all__ = [
    "ACCESS_EVALUATION_FAILED_MESSAGE",
    "COMMAND_TOO_LONG_MESSAGE",
    "EMPTY_INPUT_MESSAGE",
    "GENERIC_PLAYER_MESSAGE",
    "INVALID_INPUT_MESSAGE",
    "MAX_ARGS_LENGTH",
    "MAX_RAW_INPUT_LENGTH",
    "PERMISSION_DENIED_MESSAGE",
    "UNKNOWN_COMMAND_MESSAGE",
    "CommandAuthorization",
    "CommandConflict",
    "CommandConflictError",
    "CommandEntry",
    "CommandError",
    "CommandErrorCode",
    "CommandInvocation",
    "CommandRegistry",
    "CommandSource",
    "ParsedCommand",
    "ResolvedCommand",
    "authorize_command",
    "build_command_registry",
    "build_invocation",
    "parse_command_line",
]
