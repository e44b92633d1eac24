"""Entry point of the core-scenes PEX: serve the plugin over go-plugin gRPC."""

from __future__ import annotations

from core_scenes.plugin import ScenePlugin
from holomush_sdk import ServeConfig, serve_with_services


def main() -> None:
    plugin = ScenePlugin()
    serve_with_services(ServeConfig(handler=plugin, plugin_name="core-scenes"), plugin)


if __name__ == "__main__":
    main()
