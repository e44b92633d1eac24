"""Unix socket paths for gRPC listeners, chosen the way go-plugin chooses them (§1.3)."""

from __future__ import annotations

import contextlib
import grp
import os
from collections.abc import Mapping
from typing import Final

from holomush_sdk.goplugin.envvars import PLUGIN_UNIX_SOCKET_DIR, PLUGIN_UNIX_SOCKET_GROUP

# sun_path is 108 bytes on Linux and 104 on macOS, NUL included.
MAX_SOCKET_PATH_BYTES: Final = 103


class ListenerError(OSError):
    """No usable socket path or permissions (go-plugin logs these as 'plugin init error')."""


def socket_dir(environ: Mapping[str, str]) -> str:
    """``PLUGIN_UNIX_SOCKET_DIR`` when set, else Go's ``os.TempDir()`` ($TMPDIR or /tmp)."""
    # Not tempfile.gettempdir(): it costs an import and probes directories at start-up.
    return environ.get(PLUGIN_UNIX_SOCKET_DIR) or environ.get("TMPDIR") or "/tmp"


def new_socket_path(directory: str) -> str:
    """Reserve a fresh ``<directory>/plugin<digits>`` path (created, closed and removed)."""
    directory = os.path.abspath(directory)
    if "|" in directory:
        raise ListenerError(
            f"socket directory {directory!r} contains '|', which the handshake line cannot carry"
        )
    for _ in range(100):
        digits = int.from_bytes(os.urandom(5), "big") % 10**10  # os.urandom: no `secrets` import
        path = os.path.join(directory, f"plugin{digits}")
        if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
            raise ListenerError(
                f"socket path {path!r} is longer than the {MAX_SOCKET_PATH_BYTES}-byte unix socket limit; "
                f"set {PLUGIN_UNIX_SOCKET_DIR} or TMPDIR to a shorter directory"
            )
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ListenerError(
                f"cannot create a socket in {directory!r}: {exc.strerror}"
            ) from None
        os.close(fd)
        os.unlink(path)
        return path
    raise ListenerError(f"no free socket name in {directory!r}")


def apply_socket_group(path: str, environ: Mapping[str, str]) -> None:
    """Honour ``PLUGIN_UNIX_SOCKET_GROUP``: chgrp the socket and make it mode 0660."""
    group = environ.get(PLUGIN_UNIX_SOCKET_GROUP)
    if not group:
        return
    try:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise ListenerError(f"{PLUGIN_UNIX_SOCKET_GROUP}: unknown group {group!r}") from None
    try:
        os.chown(path, -1, gid)
        os.chmod(path, 0o660)
    except OSError as exc:
        raise ListenerError(
            f"cannot give socket {path!r} to group {group!r}: {exc.strerror}"
        ) from None


def remove_socket(path: str) -> None:
    """Remove a socket file if it is still there (grpc usually removes it on stop)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
