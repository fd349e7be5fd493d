"""On-success, on-failure and always branches: which tasks run, and how the run ends."""

from __future__ import annotations

from typing import Any

import pytest

from runs.conditions import skip_reason
from runs.models import JobStatus, RunStatus
from runs.services import run_plan
from tests.fakes.http_server import HttpPeer
from tests.fakes.slack import FakeSlack
from tests.helpers import wait_for_run
from tests.tasks_engine.plan_helpers import (
    http_task,
    make_plan,
    no_enqueue,
    run_in_process,
    slack_connection,
    slack_task,
    worker_slack,
)

__all__ = ["no_enqueue", "worker_slack"]


def work_then_notify(user: Any, peer: HttpPeer) -> Any:
    """The typical plan: HTTP work, then an on-success and an on-failure Slack message."""
    connection = slack_connection(owner=user)
    return make_plan(
        user,
        [
            http_task("Do the work", peer.url("/work"), ref="work"),
            slack_task(
                "Tell success", connection, "{{$plan.name}} done: HTTP {{$work.statusCode}}"
            ),
            slack_task(
                "Tell failure",
                connection,
                "{{$plan.name}} FAILED ({{$work.status}}) {{$plan.url}}",
                runWhen="onFailure",
                upstream=["work"],
            ),
        ],
        name="Nightly",
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_work_then_notify_plan_sends_only_the_success_message_when_the_work_succeeds(
    user: Any, http_peer: HttpPeer, worker_slack: FakeSlack, celery_worker_process: Any
) -> None:
    http_peer.route("/work", status=200)
    plan = work_then_notify(user, http_peer)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert [(m.channel, m.text) for m in worker_slack.messages] == [
        ("#alerts", "Nightly done: HTTP 200")
    ]
    assert [j.status for j in run.jobs.order_by("position")] == [
        JobStatus.SUCCEEDED,
        JobStatus.SUCCEEDED,
        JobStatus.SKIPPED,
    ]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_work_then_notify_plan_sends_only_the_failure_message_and_fails_when_the_work_fails(
    user: Any, http_peer: HttpPeer, worker_slack: FakeSlack, celery_worker_process: Any
) -> None:
    http_peer.route("/work", status=500, body="broken")
    plan = work_then_notify(user, http_peer)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    assert run.status == RunStatus.FAILED
    assert "Do the work" in run.error
    (message,) = worker_slack.messages
    assert message.text.startswith("Nightly FAILED (failed) http")
    assert message.text.endswith(f"/runs/{run.pk}/")
    assert [j.status for j in run.jobs.order_by("position")] == [
        JobStatus.FAILED,
        JobStatus.SKIPPED,
        JobStatus.SUCCEEDED,
    ]


@pytest.mark.django_db(transaction=True)
def test_on_failure_always_and_all_skipped_rules(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/ok", status=200)
    http_peer.route("/bad", status=500)
    ok, bad = http_peer.url("/ok"), http_peer.url("/bad")
    plan = make_plan(
        user,
        [
            http_task("A fails", bad, ref="a"),
            http_task("B after A", ok, ref="b"),  # onSuccess of a: skipped
            http_task("C on failure", ok, ref="c", runWhen="onFailure", upstream=["a"]),
            http_task("D always", ok, ref="d", runWhen="always", upstream=["b"]),
            http_task("E after B", ok, ref="e", upstream=["b"]),  # all upstream skipped
            http_task("F on failure of B", ok, ref="f", runWhen="onFailure", upstream=["b"]),
            http_task("G on failure of C", ok, ref="g", runWhen="onFailure", upstream=["c"]),
            http_task("H after C and D", ok, ref="h", upstream=["c", "d"]),
            http_task("I first of its own", ok, ref="i", upstream=[]),
        ],
    )

    run = run_in_process(plan)

    statuses = dict(run.jobs.values_list("task_ref", "status"))
    assert statuses == {
        "a": JobStatus.FAILED,
        "b": JobStatus.SKIPPED,
        "c": JobStatus.SUCCEEDED,
        "d": JobStatus.SUCCEEDED,
        "e": JobStatus.SKIPPED,
        "f": JobStatus.SKIPPED,
        "g": JobStatus.SKIPPED,
        "h": JobStatus.SUCCEEDED,
        "i": JobStatus.SUCCEEDED,
    }
    assert run.status == RunStatus.FAILED, "a run with a failed task fails, even if it recovered"
    assert run.jobs.get(task_ref="e").result == {"skipReason": "Every upstream task was skipped."}


@pytest.mark.parametrize(
    ("run_when", "upstream", "runs"),
    [
        ("onSuccess", [], True),
        ("onSuccess", ["succeeded", "succeeded"], True),
        ("onSuccess", ["succeeded", "failed"], False),
        ("onSuccess", ["succeeded", "skipped"], False),
        ("onFailure", ["succeeded", "failed"], True),
        ("onFailure", ["succeeded"], False),
        ("onFailure", ["skipped", "skipped"], False),
        ("always", ["failed"], True),
        ("always", ["skipped", "skipped"], True),
        ("always", [], True),
    ],
)
def test_skip_rules(run_when: str, upstream: list[str], runs: bool) -> None:
    assert (skip_reason(run_when, upstream) is None) is runs
