from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from holomush_sdk import PLUGIN_HOST_SERVICE_NAME, PluginHost, RequiredServices
from holomush_sdk.tests.fake_host import FakePluginHost, add_fake_host
from holomush_sdk.tests.grpc_helpers import AddressBroker, serving


@dataclass
class HostFixture:
    fake: FakePluginHost
    host: PluginHost
    broker: AddressBroker


@pytest.fixture
async def plugin_host() -> AsyncIterator[HostFixture]:
    """A `PluginHost` whose calls reach a real in-process fake PluginHostService."""
    fake = FakePluginHost()
    async with serving(add_fake_host(fake)) as address:
        broker = AddressBroker({1: address})
        services = RequiredServices.from_config({PLUGIN_HOST_SERVICE_NAME: "broker:1"}, broker)
        yield HostFixture(fake, PluginHost(services, plugin_name="test-plugin"), broker)
        await services.close()
