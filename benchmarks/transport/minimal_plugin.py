"""The smallest plugin: go-plugin's internal services and nothing else (start-up benchmark)."""

from __future__ import annotations

from holomush_sdk.goplugin.server import run_plugin

if __name__ == "__main__":
    run_plugin(lambda server, broker: None)
