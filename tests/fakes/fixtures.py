"""Pytest fixtures for the local test peers.

A conftest may load them all with `pytest_plugins = ["tests.fakes.fixtures"]`; a test module
may import the ones it uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.http_server import HttpPeer
from tests.fakes.moto import moto_server
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import SmtpPeer

__all__ = ["fake_slack", "http_peer", "moto_server", "smtp_peer"]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API: token "xoxb-valid-token"; channels general, alerts; the bot is not
    in "private". Pass `fake_slack.base_url` as slack_sdk's base_url."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    """A recording HTTP server; add answers with `http_peer.route(path, ...)`."""
    with HttpPeer() as peer:
        yield peer


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    """An SMTP server on 127.0.0.1:`smtp_peer.port` keeping what it receives."""
    with SmtpPeer() as peer:
        yield peer
