"""pytest fixtures for the go-plugin tests (helpers live in support.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from holomush_sdk.goplugin.tests.support import RecordCollector
from holomush_sdk.goplugin.tls import CertificateAuthority, TransportSecurity


@pytest.fixture
def collect_logs() -> Iterator[Callable[[str], RecordCollector]]:
    """``collect_logs(logger_name)`` attaches a RecordCollector (removed after the test)."""
    attached: list[tuple[logging.Logger, RecordCollector, int]] = []

    def attach(name: str) -> RecordCollector:
        logger = logging.getLogger(name)
        collector = RecordCollector()
        attached.append((logger, collector, logger.level))
        logger.addHandler(collector)
        logger.setLevel(logging.DEBUG - 5)
        return collector

    yield attach
    for logger, collector, level in attached:
        logger.removeHandler(collector)
        logger.setLevel(level)


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    return CertificateAuthority.generate()


@pytest.fixture
def mtls(ca: CertificateAuthority) -> TransportSecurity:
    return TransportSecurity.mtls(ca)
