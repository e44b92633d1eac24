"""A stand-in for a test process: starts an embedded server the way the fixtures do, says
where it is on stdout, then waits to be killed (or for its stdin to close).

    python -m holomush_testing.tests.guarded_server_child {plain|restartable}
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

from holomush_testing.postgres import open_postgres_test_server
from holomush_testing.restartable_postgres import restartable_postgres


@contextlib.contextmanager
def _server(kind: str) -> Iterator[str]:
    if kind == "restartable":
        with restartable_postgres() as server:
            yield server.admin_dsn
    else:
        with open_postgres_test_server() as plain:
            assert plain.source == "embedded", plain.source
            yield plain.admin_dsn


def main() -> None:
    with _server(sys.argv[1]) as dsn:
        print(json.dumps({"dsn": dsn}), flush=True)
        sys.stdin.read()  # until the test closes it, or kills this process


if __name__ == "__main__":
    main()
