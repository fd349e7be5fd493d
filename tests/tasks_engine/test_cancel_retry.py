"""Run control: cancel during a slow request, retry from failed, job timeouts, run overruns."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from runs.models import JobStatus, PlanRun, RunSource, RunStatus
from runs.services import run_cancel, run_plan, run_retry
from tasks_engine.reaper import reap
from tests.fakes.http_server import HttpPeer
from tests.helpers import wait_for_run, wait_until
from tests.tasks_engine.plan_helpers import http_task, make_plan, no_enqueue

__all__ = ["no_enqueue"]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.e2e
def test_canceling_during_a_slow_request_aborts_it_and_cancels_the_rest(
    user: Any, http_peer: HttpPeer, celery_worker_process: Any
) -> None:
    http_peer.route("/slow", status=200, hold_s=10)
    http_peer.route("/after", status=200)
    plan = make_plan(
        user,
        [
            http_task("Slow", http_peer.url("/slow"), timeoutSeconds=60),
            http_task("After", http_peer.url("/after"), runWhen="always"),
        ],
    )
    run = run_plan(plan=plan, source="manual")
    (request,) = http_peer.wait_for_requests(1, timeout=30)
    wait_until(
        lambda: run.jobs.filter(status=JobStatus.RUNNING).exists(), what="the slow job to run"
    )
    canceled_at = time.monotonic()

    run_cancel(run=PlanRun.objects.get(pk=run.pk))

    slow = wait_until(
        lambda: run.jobs.filter(task_ref="slow", status=JobStatus.CANCELED).first(),
        timeout=8,
        what="the running job to be recorded canceled",
    )
    assert time.monotonic() - canceled_at < 5, "the request was not aborted quickly"
    assert time.monotonic() - request.arrived_monotonic < 9, "the held answer was awaited"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert slow.error == "Canceled."
    assert run.jobs.get(task_ref="after").status == JobStatus.CANCELED
    assert http_peer.requests_to("/after") == []


@pytest.mark.e2e
def test_retry_from_failed_reruns_only_the_failed_branch_against_the_original_snapshot(
    user: Any, http_peer: HttpPeer, celery_worker_process: Any
) -> None:
    http_peer.route("/fetch", status=200, body='{"id": "ord-9"}')
    http_peer.route("/side", status=200)
    http_peer.route("/load", status=503, times=1)
    http_peer.route("/load", status=200)
    http_peer.route("/report", status=200)
    plan = make_plan(
        user,
        [
            http_task("Fetch", http_peer.url("/fetch"), ref="fetch"),
            http_task("Side", http_peer.url("/side"), ref="side"),
            http_task("Load", http_peer.url("/load"), ref="load", upstream=["fetch"]),
            http_task(
                "Report",
                http_peer.url("/report"),
                ref="report",
                method="POST",
                body='{"id": {{$fetch.response.json.id|json}}, "load": {{$load.statusCode}}}',
            ),
        ],
    )
    first = wait_for_run(run_plan(plan=plan, source="manual").pk)
    assert first.status == RunStatus.FAILED
    plan.tasks.filter(ref="fetch").update(config={"method": "GET", "url": "http://changed"})

    retry = wait_for_run(run_retry(run=first).pk)

    assert retry.status == RunStatus.SUCCEEDED, retry.error
    assert retry.source == RunSource.RETRY
    assert retry.retry_of_id == first.pk
    assert retry.snapshot == first.snapshot
    assert len(http_peer.requests_to("/fetch")) == 1, "a succeeded task was re-requested"
    assert len(http_peer.requests_to("/side")) == 1
    assert len(http_peer.requests_to("/load")) == 2
    (report,) = http_peer.requests_to("/report")
    assert json.loads(report.body) == {"id": "ord-9", "load": 200}
    carried = retry.jobs.get(task_ref="fetch")
    assert carried.status == JobStatus.SUCCEEDED
    assert carried.result["carriedOverFromJob"] == first.jobs.get(task_ref="fetch").pk


@pytest.mark.e2e
def test_a_job_over_its_timeout_fails_with_timed_out_after_n_s(
    user: Any, http_peer: HttpPeer, celery_worker_process: Any
) -> None:
    http_peer.route("/slow", status=200, hold_s=5)
    plan = make_plan(user, [http_task("Slow", http_peer.url("/slow"), timeoutSeconds=1)])

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    job = run.jobs.get()
    assert job.status == JobStatus.FAILED
    assert job.error == "timed out after 1 s"
    assert run.status == RunStatus.FAILED


def test_a_run_past_the_maximum_duration_is_failed_and_its_pending_jobs_canceled(
    user: Any, no_enqueue: list[int], settings: Any
) -> None:
    settings.MAX_RUN_HOURS = 48
    plan = make_plan(
        user, [http_task("A", "https://example.com/a"), http_task("B", "https://example.com/b")]
    )
    run = run_plan(plan=plan, source="manual")

    with time_machine.travel(timezone.now() + timedelta(hours=47), tick=False):
        assert reap()["overdue"] == 0
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        assert reap()["overdue"] == 1

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "The run exceeded the maximum run duration of 48 h."
    assert set(run.jobs.values_list("status", flat=True)) == {JobStatus.CANCELED}
