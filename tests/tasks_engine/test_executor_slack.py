"""The Slack task against a local fake of Slack's Web API."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connections.services import connection_create, connection_delete
from core.errors import TaskError
from runs.models import JobLogLine, JobStatus, RunStatus
from tasks_engine.task_types.slack import SlackTask
from tests.fakes.slack import FakeSlack
from tests.tasks_engine.plan_helpers import (
    SLACK_TOKEN,
    context_for,
    http_task,
    make_plan,
    no_enqueue,
    run_in_process,
    slack_connection,
    slack_task,
)

__all__ = ["no_enqueue"]


@pytest.fixture
def slack_api(fake_slack: FakeSlack, settings: Any) -> FakeSlack:
    settings.SLACK_API_URL = fake_slack.base_url
    return fake_slack


def spec_for(connection_id: int, channel: str = "#alerts", message: str = "Done") -> dict[str, Any]:
    config, errors = SlackTask().clean_config(
        {"connection": connection_id, "channel": channel, "message": message}
    )
    assert errors == {}
    return {"config": config, "name": "notify", "type": "slack"}


@pytest.mark.django_db
def test_it_posts_the_message_with_the_connections_token(slack_api: FakeSlack) -> None:
    connection = slack_connection()
    log: list[str] = []

    result = SlackTask().run(
        spec_for(connection.pk, message="Plan {{$plan.name}} ok"),
        context_for({"plan": {"name": "Nightly"}}, log),
    )

    assert result.status == "succeeded"
    assert [(m.token, m.channel, m.text) for m in slack_api.messages] == [
        (SLACK_TOKEN, "#alerts", "Plan Nightly ok")
    ]
    assert result.result["channelId"] == slack_api.channel_id("alerts")
    assert result.result["ts"]
    assert SLACK_TOKEN not in str(result.result) + "".join(log)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "token", "message"),
    [
        ("#nowhere", SLACK_TOKEN, "Slack has no channel #nowhere"),
        ("#private", SLACK_TOKEN, "The Slack app is not in #private"),
        ("#alerts", "xoxb-wrong", "Slack rejected the token (invalid_auth)"),
    ],
)
def test_it_fails_at_once_with_a_clear_message_on_a_permanent_slack_error(
    slack_api: FakeSlack, channel: str, token: str, message: str
) -> None:
    connection = slack_connection(token=token)

    with pytest.raises(TaskError) as caught:
        SlackTask().run(spec_for(connection.pk, channel=channel), context_for())

    assert message in str(caught.value)
    assert token not in str(caught.value)
    assert len(slack_api.requests) == 1


@pytest.mark.django_db
def test_it_waits_as_long_as_retry_after_says_when_rate_limited_then_posts(
    slack_api: FakeSlack,
) -> None:
    connection = slack_connection()
    slack_api.ratelimit_next(1)
    log: list[str] = []
    started = time.monotonic()

    result = SlackTask().run(spec_for(connection.pk), context_for(log=log))

    assert result.status == "succeeded"
    assert time.monotonic() - started >= 0.9  # the fake asks for Retry-After: 1
    assert [r.error for r in slack_api.requests] == ["ratelimited", None]
    assert any("retry after 1 s" in line for line in log)
    assert any(line.startswith("Attempt 2/") for line in log)


@pytest.mark.django_db
def test_a_deleted_connection_fails_the_job_clearly(slack_api: FakeSlack) -> None:
    connection = slack_connection()
    spec = spec_for(connection.pk)
    connection_delete(connection=connection)

    with pytest.raises(TaskError, match="no longer exists"):
        SlackTask().run(spec, context_for())
    assert slack_api.requests == []


@pytest.mark.django_db
def test_the_config_must_name_an_existing_slack_connection_and_a_channel() -> None:
    disk = connection_create(name="Disk", kind="local", settings={"root": "x"})

    _, errors = SlackTask().clean_config({"connection": disk.pk, "channel": "", "message": ""})
    assert set(errors) == {"connection", "channel", "message"}
    _, errors = SlackTask().clean_config(
        {"connection": 999_999, "channel": "#a b", "message": "hi", "extra": 1}
    )
    assert errors["connection"] == ["No connection with id 999999."]
    assert set(errors) == {"connection", "channel", "extra"}


@pytest.mark.django_db(transaction=True)
def test_a_slack_task_in_a_run_fills_references_from_upstream_tasks(
    user: Any, slack_api: FakeSlack, http_peer: Any, no_enqueue: list[int]
) -> None:
    http_peer.route("/count", status=200, body='{"rows": 42}')
    connection = slack_connection(owner=user)
    plan = make_plan(
        user,
        [
            http_task("Count rows", http_peer.url("/count"), ref="count"),
            slack_task("Tell", connection, "{{$plan.name}}: {{$count.response.json.rows}} rows"),
        ],
        name="Export",
    )

    run = run_in_process(plan)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert [m.text for m in slack_api.messages] == ["Export: 42 rows"]
    job = run.jobs.get(task_type="slack")
    assert job.status == JobStatus.SUCCEEDED
    logs = " ".join(JobLogLine.objects.filter(job=job).values_list("message", flat=True))
    assert "Posting to #alerts" in logs
    assert SLACK_TOKEN not in logs
