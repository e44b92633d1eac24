import pytest

from holomush_sdk import Handler, PluginConfigError, ServeConfig, serve, serve_with_services


class EventsOnly:
    async def handle_event(self, event):
        return None


class Provider:
    def register_services(self, registrar):
        return None

    async def init(self, config):
        return None


class NotAHandler:
    pass


def test_serve_rejects_missing_config_and_handler():
    with pytest.raises(PluginConfigError, match=r"^plugin: config cannot be None$"):
        serve(None)  # type: ignore[arg-type]
    with pytest.raises(PluginConfigError, match=r"^plugin: config\.handler cannot be None$"):
        serve(ServeConfig(handler=None))  # type: ignore[arg-type]
    with pytest.raises(PluginConfigError, match=r"NotAHandler\) must implement handle_event"):
        serve(ServeConfig(handler=NotAHandler()))  # type: ignore[arg-type]


def test_serve_with_services_rejects_missing_or_incomplete_provider():
    config = ServeConfig(handler=EventsOnly())
    with pytest.raises(PluginConfigError, match=r"^plugin: provider cannot be None$"):
        serve_with_services(config, None)  # type: ignore[arg-type]
    with pytest.raises(PluginConfigError, match="must implement register_services"):
        serve_with_services(config, EventsOnly())  # type: ignore[arg-type]
    with pytest.raises(PluginConfigError, match=r"^plugin: config cannot be None$"):
        serve_with_services(None, Provider())  # type: ignore[arg-type]


def test_protocols_detect_implementations():
    assert isinstance(EventsOnly(), Handler)
    assert not isinstance(NotAHandler(), Handler)
