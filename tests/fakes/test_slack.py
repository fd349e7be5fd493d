"""The fake Slack Web API answers as Slack does, whichever way the call is encoded."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.fakes import fixtures
from tests.fakes.slack import FakeSlack

fake_slack = fixtures.fake_slack


def call(fake: FakeSlack, data: bytes, headers: dict[str, str]) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(
        fake.base_url + "chat.postMessage", data=data, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("Retry-After")


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_it_accepts_a_form_post_with_the_token_in_the_body(fake_slack: FakeSlack) -> None:
    status, body, _ = call(
        fake_slack, form(token="xoxb-valid-token", channel="alerts", text="hi"), {}
    )

    assert status == 200
    assert body["ok"] is True
    assert body["channel"] == fake_slack.channel_id("alerts")
    assert [(m.channel, m.text) for m in fake_slack.messages] == [("alerts", "hi")]


def test_it_accepts_a_json_post_by_channel_id(fake_slack: FakeSlack) -> None:
    channel_id = fake_slack.channel_id("general")
    status, body, _ = call(
        fake_slack,
        json.dumps({"channel": channel_id, "text": "hi"}).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer xoxb-valid-token"},
    )

    assert (status, body["ok"], body["channel"]) == (200, True, channel_id)


@pytest.mark.parametrize(
    ("fields", "headers", "error"),
    [
        ({"channel": "general", "text": "x"}, {}, "not_authed"),
        ({"channel": "general", "text": "x"}, {"Authorization": "Bearer nope"}, "invalid_auth"),
        (
            {"channel": "random", "text": "x"},
            {"Authorization": "Bearer xoxb-valid-token"},
            "channel_not_found",
        ),
        (
            {"channel": "#private", "text": "x"},
            {"Authorization": "Bearer xoxb-valid-token"},
            "not_in_channel",
        ),
    ],
)
def test_it_answers_slack_errors(
    fake_slack: FakeSlack, fields: dict[str, str], headers: dict[str, str], error: str
) -> None:
    status, body, _ = call(fake_slack, form(**fields), headers)

    assert (status, body) == (200, {"ok": False, "error": error})
    assert fake_slack.messages == []
    assert fake_slack.requests[0].error == error


def test_it_rate_limits_the_next_calls_on_demand(fake_slack: FakeSlack) -> None:
    fake_slack.ratelimit_next(2)
    data = form(token="xoxb-valid-token", channel="general", text="x")

    answers = [call(fake_slack, data, {}) for _ in range(3)]

    assert [(status, retry_after) for status, _, retry_after in answers] == [
        (429, "1"),
        (429, "1"),
        (200, None),
    ]
    assert answers[0][1] == {"ok": False, "error": "ratelimited"}
    assert len(fake_slack.messages) == 1
