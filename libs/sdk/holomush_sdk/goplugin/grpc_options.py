"""gRPC channel/server options shared by every connection this package makes."""

from __future__ import annotations

from typing import Final

# A Go host dials with MaxInt32 send/receive limits (wire protocol §3.4); -1 lifts
# grpcio's 4 MiB default the same way on our servers and channels.
UNLIMITED_MESSAGE_SIZE: Final[list[tuple[str, int]]] = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
]
