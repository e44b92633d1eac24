"""Player-facing texts of the ``scene`` and ``scenes`` commands (reference §5.3 plus the
subcommands this implementation adds: archive, log, pose, vote)."""

from __future__ import annotations

from core_scenes.service_errors import SceneServiceError
from holomush_sdk import CommandResponse, FocusError, FocusErrorCode, errorf, failuref

__all__ = [
    "KNOWN_FIELDS",
    "KNOWN_SUBCOMMANDS",
    "SCENES_USAGE",
    "USAGE",
    "describe_focus_error",
    "failed",
    "missing_subcommand",
    "unknown_subcommand",
]

KNOWN_SUBCOMMANDS = (
    "archive",
    "create",
    "end",
    "info",
    "invite",
    "join",
    "kick",
    "leave",
    "log",
    "pause",
    "pose",
    "resume",
    "set",
    "switch",
    "transfer",
    "vote",
)

KNOWN_FIELDS = (
    "title",
    "description",
    "visibility",
    "pose_order_mode",
    "location_id",
    "tags",
    "content_warnings",
)

USAGE = {
    "archive": "Usage: scene archive <scene id>",
    "create": "Usage: scene create <title>",
    "end": "Usage: scene end <scene id>",
    "info": "Usage: scene info <scene id>",
    "invite": "Usage: scene invite <scene id> <character>",
    "join": "Usage: scene join <scene id>",
    "kick": "Usage: scene kick <scene id> <character>",
    "leave": "Usage: scene leave <scene id>",
    "log": "Usage: scene log <scene id> [count]",
    "pause": "Usage: scene pause <scene id>",
    "pose": "Usage: scene pose <text>",
    "resume": "Usage: scene resume <scene id>",
    "set": "Usage: scene set <scene id> field=value",
    "switch": "Usage: scene switch <scene id>",
    "transfer": "Usage: scene transfer <scene id> <character>",
    "vote": "Usage: scene vote <scene id> yes|no",
}

SCENES_USAGE = "Usage: scenes [--tags tag1,tag2]"

_FOCUS_PROBLEMS = {
    FocusErrorCode.SESSION_NOT_FOUND: "your session was not found",
    FocusErrorCode.SESSION_EXPIRED: "your session has expired",
    FocusErrorCode.FOCUS_ALREADY_MEMBER: "you already follow this scene",
    FocusErrorCode.FOCUS_KIND_UNREGISTERED: "the server does not support scene subscriptions",
    FocusErrorCode.FOCUS_POLICY_FAILED: "the server refused the subscription",
    FocusErrorCode.FOCUS_NOT_MEMBER: "your session does not follow this scene",
}


def missing_subcommand() -> CommandResponse:
    return errorf(
        "Usage: scene <subcommand> [args]\nKnown subcommands: %s", ", ".join(KNOWN_SUBCOMMANDS)
    )


def unknown_subcommand(sub: str) -> CommandResponse:
    return errorf(
        'Unknown scene subcommand "%s". Known subcommands: %s.', sub, ", ".join(KNOWN_SUBCOMMANDS)
    )


def failed(prefix: str, err: SceneServiceError) -> CommandResponse:
    """``<prefix>: <reason>``: the reason for a user error (status Error); for an internal
    failure only a generic sentence (status Failure), the details being in the log."""
    if err.user_facing:
        return errorf("%s: %s", prefix, err.message)
    return failuref("%s: something went wrong on the server; please try again later.", prefix)


def describe_focus_error(err: FocusError) -> str:
    """A short reason for a failed focus call, with its code: no host internals."""
    if err.code is None:
        return "the scene subscription service did not answer"
    return f"{_FOCUS_PROBLEMS[err.code]} [{err.code}]"
