"""Entry point of the echo-bot PEX: serve the handler over go-plugin gRPC."""

from __future__ import annotations

from echo_bot.bot import EchoBot
from holomush_sdk import ServeConfig, serve


def main() -> None:
    serve(ServeConfig(handler=EchoBot()))


if __name__ == "__main__":
    main()
