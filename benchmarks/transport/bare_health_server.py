"""Baseline for the benchmark: a bare grpcio health server, no go-plugin machinery.

Same transport (unix socket) and TLS settings as a plugin under HoloMUSH mTLS: it reads
the key material the host gives a plugin (HOLOMUSH_* file paths), requires a client
certificate from the CA, and inherits GRPC_SSL_CIPHER_SUITES. Prints its socket path as
the first stdout line, then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def _read(var: str) -> bytes | None:
    path = os.environ.get(var)
    if not path:
        return None
    with open(path, "rb") as handle:
        return handle.read()


async def main() -> None:
    server = grpc.aio.server(
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    )
    servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    await servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    directory = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
    path = os.path.join(directory, f"bare{os.getpid()}")
    cert, key, ca = (
        _read("HOLOMUSH_PLUGIN_CERT"),
        _read("HOLOMUSH_PLUGIN_KEY"),
        _read("HOLOMUSH_CA_CERT"),
    )
    if cert and key and ca:
        credentials = grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=ca, require_client_auth=True
        )
        server.add_secure_port(f"unix:{path}", credentials)
    else:
        server.add_insecure_port(f"unix:{path}")
    await server.start()
    sys.stdout.write(path + "\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes stdin
    await server.stop(None)


if __name__ == "__main__":
    asyncio.run(main())
