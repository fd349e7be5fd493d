"""A worker process killed mid-job: the redelivered message records the loss and the run goes on."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from plans.models import Plan
from plans.services import plan_create
from runs.models import JobStatus, PlanRun, RunStatus
from runs.services import run_plan
from tests.helpers import child_pids, wait_for_run, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def slow_then_cleanup(user: Any, http_peer: Any, *, hold_s: float) -> Plan:
    """A plan whose first task waits `hold_s` on /slow, then an `always` task calls /cleanup."""
    http_peer.route("/slow", status=200, hold_s=hold_s)
    http_peer.route("/cleanup", status=200)
    return plan_create(
        owner=user,
        name="Survives a dead worker",
        tasks=[
            {"name": "slow", "type": "http", "config": {"url": http_peer.url("/slow")}},
            {
                "name": "cleanup",
                "type": "http",
                "runWhen": "always",
                "config": {"url": http_peer.url("/cleanup")},
            },
        ],
    )


def test_a_job_whose_worker_dies_is_failed_and_the_chain_goes_on(
    user: Any, http_peer: Any, start_celery_worker: Any
) -> None:
    plan = slow_then_cleanup(user, http_peer, hold_s=4)
    worker = start_celery_worker(concurrency=1, JOB_HEARTBEAT_SECONDS="1")
    run = run_plan(plan=plan, source="manual")
    slow = run.jobs.get(position=1)
    wait_until(lambda: http_peer.requests_to("/slow"), what="the slow request to arrive")

    for child in child_pids(worker.process.pid):
        os.kill(child, signal.SIGKILL)

    run = wait_for_run(run.pk, timeout=60)
    slow.refresh_from_db()
    assert slow.status == JobStatus.FAILED, worker.log()[-3000:]
    assert "worker" in slow.error
    assert run.jobs.get(position=2).status == JobStatus.SUCCEEDED
    assert len(http_peer.requests_to("/slow")) == 1
    assert run.status == RunStatus.FAILED


def test_a_scheduled_runs_inline_first_job_whose_worker_dies_is_recovered_by_the_reaper(
    user: Any, http_peer: Any, start_celery_worker: Any
) -> None:
    """The firing task runs the first job itself, so no `execute_job` message exists to be
    redelivered: the stale heartbeat is what the reaper acts on."""
    from plans.triggers.services import trigger_create
    from scheduling.tasks import fire_trigger
    from tasks_engine.reaper import reap

    plan = slow_then_cleanup(user, http_peer, hold_s=6)
    worker = start_celery_worker(concurrency=1, JOB_HEARTBEAT_SECONDS="1")
    # No beat runs in tests: the message sent below is the slot's only firing.
    run_at = timezone.now() + timedelta(seconds=1)
    trigger = trigger_create(plan=plan, name="Once", kind="once", run_at=run_at)
    wait_until(lambda: timezone.now() > run_at, what="the slot to pass")
    fire_trigger.delay(trigger.pk)
    wait_until(lambda: http_peer.requests_to("/slow"), what="the inline first job to start")
    run = PlanRun.objects.get(trigger=trigger)
    assert run.jobs.get(position=1).status == JobStatus.RUNNING

    for child in child_pids(worker.process.pid):
        os.kill(child, signal.SIGKILL)
    # Three missed heartbeats make the job stale; beat calls the reaper every 30 s in service.
    wait_until(lambda: reap()["workerLost"], timeout=20, interval=0.5, what="the reaper")

    run = wait_for_run(run.pk, timeout=60)
    slow = run.jobs.get(position=1)
    assert slow.status == JobStatus.FAILED, worker.log()[-3000:]
    assert "worker" in slow.error
    assert run.jobs.get(position=2).status == JobStatus.SUCCEEDED
    assert len(http_peer.requests_to("/slow")) == 1, worker.log()[-6000:]
    assert run.status == RunStatus.FAILED
    assert run.scheduled_for is not None and run.source == "schedule"
