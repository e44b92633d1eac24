"""Which streams a plugin may read with QueryStreamHistory (reference §4.7 had no rule).

The rule, checked in this order:

1. **Its own namespaces.** A stream whose namespace (the part before the first ``:``) is
   listed in the plugin's manifest ``emits`` is readable at any time: core-scenes
   (``emits: [scene]``) reads every ``scene:…`` stream.
2. **What the host handed it.** While the host waits for the plugin to answer a call, the
   plugin may read the streams that call involves:

   * an event delivery: the event's stream;
   * a command: the invoking character's ``character:<id>`` stream, its location's
     ``location:<id>`` stream, and every stream of the command's session (its focus
     streams such as ``scene:<id>:ic`` / ``:ooc`` and streams added with
     AddSessionStream).

   The right ends when the plugin answers the call. Reading *during* the call is what a
   plugin needs (show the last poses on ``scene join``); a plugin that wants history of a
   stream later must own the stream's namespace.
3. Anything else is refused with PERMISSION_DENIED ``STREAM_ACCESS_DENIED: ...``.

AddSessionStream uses rule 1 only: a plugin may subscribe a session only to streams in
its own namespaces, so it cannot route another character's private stream to a player.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc

from holomush_host.data.errors import DataError
from holomush_host.data.validation import stream_namespace
from holomush_host.manifest.errors import go_quote
from holomush_host.services.call_context import InFlightCalls
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.status import HostServiceError

__all__ = ["STREAM_ACCESS_DENIED", "SessionStreamsLookup", "StreamAccess"]

STREAM_ACCESS_DENIED = "STREAM_ACCESS_DENIED"

SessionStreamsLookup = Callable[[str], Awaitable[list[str]]]
"""session id → every stream the session receives (``FocusCoordinator.streams_for_session``)."""


class StreamAccess:
    def __init__(self, session_streams: SessionStreamsLookup) -> None:
        self._session_streams = session_streams

    async def check_read(self, plugin: PluginIdentity, calls: InFlightCalls, stream: str) -> None:
        """Return if ``plugin`` may read ``stream`` now; else raise `HostServiceError`."""
        if stream_namespace(stream) in plugin.emits:
            return
        if stream in calls.handed_streams():
            return
        for session_id in calls.session_ids():
            try:
                if stream in await self._session_streams(session_id):
                    return
            except DataError:
                continue  # the session ended meanwhile: it grants nothing
        raise HostServiceError(
            grpc.StatusCode.PERMISSION_DENIED,
            STREAM_ACCESS_DENIED,
            f"plugin {go_quote(plugin.name)} may not read stream {go_quote(stream)}: its "
            "namespace is not in the plugin's emits, and no command or event the host is "
            "waiting on the plugin for involves it",
        )

    @staticmethod
    def check_subscribe(plugin: PluginIdentity, stream: str) -> None:
        """Return if ``plugin`` may add ``stream`` to a session; else raise."""
        namespace = stream_namespace(stream)
        if namespace in plugin.emits:
            return
        raise HostServiceError(
            grpc.StatusCode.PERMISSION_DENIED,
            STREAM_ACCESS_DENIED,
            f"plugin {go_quote(plugin.name)} may only add streams in its own namespaces "
            f"(emits) to a session, not {go_quote(stream)}",
        )
