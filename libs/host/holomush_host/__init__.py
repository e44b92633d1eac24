"""The HoloMUSH host: plugin manager, host services, players' front end and CLI."""

__version__ = "0.1.0"
