"""The smallest plugin: go-plugin's internal services and nothing else (start-up benchmark)."""

from __future__ import annotations

from holomush_sdk.goplugin.server import run_plugin


def main() -> None:
    run_plugin(lambda server, broker: None)


if __name__ == "__main__":
    main()
