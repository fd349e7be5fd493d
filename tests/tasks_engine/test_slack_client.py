"""Posting to Slack against a local fake of its Web API: results and every error mapping."""

from __future__ import annotations

import pytest

from tasks_engine.slack_client import SlackError, SlackPostResult, post_message
from tests.fakes import fixtures
from tests.fakes._net import free_port
from tests.fakes.slack import FakeSlack

fake_slack = fixtures.fake_slack
http_peer = fixtures.http_peer

TOKEN = "xoxb-valid-token"


def post(fake: FakeSlack, *, token: str = TOKEN, channel: str = "general") -> SlackPostResult:
    return post_message(
        token=token, channel=channel, text="Run finished", base_url=fake.base_url, timeout=5
    )


def test_it_posts_a_message_and_returns_its_ts_and_channel(fake_slack: FakeSlack) -> None:
    result = post(fake_slack, channel="#general")

    assert result.channel == fake_slack.channel_id("general")
    assert result.ts
    assert [(m.token, m.channel, m.text) for m in fake_slack.messages] == [
        (TOKEN, "#general", "Run finished")
    ]


@pytest.mark.parametrize(
    ("channel", "code", "message"),
    [
        ("nowhere", "channel_not_found", "no channel #nowhere"),
        ("private", "not_in_channel", "The Slack app is not in #private: invite it"),
    ],
)
def test_it_explains_channel_errors_without_retrying(
    fake_slack: FakeSlack, channel: str, code: str, message: str
) -> None:
    with pytest.raises(SlackError, match=message) as caught:
        post(fake_slack, channel=channel)

    assert caught.value.code == code
    assert not caught.value.retryable
    assert len(fake_slack.requests) == 1


def test_it_explains_a_rejected_token_without_showing_it(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackError, match="rejected the token") as caught:
        post(fake_slack, token="xoxb-wrong-secret-token")

    assert caught.value.code == "invalid_auth"
    assert not caught.value.retryable
    assert "xoxb-wrong-secret-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("not_authed", "No Slack token"),
        ("account_inactive", "deactivated"),
        ("token_revoked", "revoked"),
        ("missing_scope", "chat:write scope"),
        ("is_archived", "archived"),
        ("some_new_error", r"refused the message to #general \(some_new_error\)"),
    ],
)
def test_it_maps_each_slack_error_to_a_final_message(http_peer, code: str, message: str) -> None:
    # The fake only produces its own errors; the recording peer can answer any Slack body.
    http_peer.route(
        "/api/chat.postMessage",
        body=f'{{"ok": false, "error": "{code}"}}',
        headers={"Content-Type": "application/json"},
    )

    with pytest.raises(SlackError, match=message) as caught:
        post_message(
            token=TOKEN, channel="general", text="x", base_url=http_peer.url("/api/"), timeout=5
        )

    assert caught.value.code == code
    assert not caught.value.retryable
    assert http_peer.requests[0].header("Authorization") == f"Bearer {TOKEN}"


def test_it_reports_rate_limiting_as_retryable_with_the_wait(fake_slack: FakeSlack) -> None:
    fake_slack.ratelimit_next(1)

    with pytest.raises(SlackError, match="retry after 1 s") as caught:
        post(fake_slack)

    assert caught.value.retryable
    assert caught.value.retry_after == 1.0
    assert caught.value.code == "ratelimited"
    # slack_sdk's own retry handlers are off: one call, no hidden second attempt.
    assert len(fake_slack.requests) == 1
    assert post(fake_slack).ts


def test_it_reports_a_server_error_as_retryable(http_peer) -> None:
    http_peer.route("/api/chat.postMessage", status=503, body="down")

    with pytest.raises(SlackError) as caught:
        post_message(
            token=TOKEN, channel="general", text="x", base_url=http_peer.url("/api/"), timeout=5
        )

    assert caught.value.retryable


def test_it_reports_a_refused_connection_as_retryable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/api/"

    with pytest.raises(SlackError, match="Could not reach Slack") as caught:
        post_message(token=TOKEN, channel="general", text="x", base_url=base_url, timeout=2)

    assert caught.value.retryable
    assert TOKEN not in str(caught.value)


def test_it_reports_a_timeout_as_retryable(http_peer) -> None:
    http_peer.route("/api/chat.postMessage", hold_s=3, body='{"ok": true}')

    with pytest.raises(SlackError, match="Could not reach Slack") as caught:
        post_message(
            token=TOKEN, channel="general", text="x", base_url=http_peer.url("/api/"), timeout=0.5
        )

    assert caught.value.retryable
    assert len(http_peer.requests) == 1
