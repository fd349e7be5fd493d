"""The reaper: no run stays active forever (lost messages, dead workers, ad-hoc jobs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from plans.services import plan_create
from runs.models import Job, JobLogLine, JobStatus, RunStatus
from runs.services import run_plan
from tasks_engine import dispatch
from tasks_engine.reaper import reap
from tests.helpers import wait_for_run


def one_task_plan(user: Any, url: str) -> Any:
    return plan_create(
        owner=user, name="Reaped", tasks=[{"name": "ping", "type": "http", "config": {"url": url}}]
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_message_was_lost_is_resumed_and_finishes(
    user: Any, http_peer: Any, celery_worker_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_peer.route("/ping", status=200)
    plan = one_task_plan(user, http_peer.url("/ping"))
    with monkeypatch.context() as patched:
        patched.setattr(dispatch, "enqueue", lambda run_id: None)  # the broker lost the chain
        run = run_plan(plan=plan, source="manual")

    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        counts = reap()

    assert counts["resumed"] == 1
    assert wait_for_run(run.pk).status == RunStatus.SUCCEEDED
    assert len(http_peer.requests_to("/ping")) == 1


@pytest.mark.django_db
def test_a_running_job_with_a_stale_heartbeat_is_failed(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = one_task_plan(user, "http://127.0.0.1:9/")
    resumed: list[int] = []
    monkeypatch.setattr(dispatch, "resume", resumed.append)
    run = run_plan(plan=plan, source="manual")
    stale = timezone.now() - timedelta(minutes=5)
    Job.objects.filter(run=run).update(
        status=JobStatus.RUNNING, started_at=stale, heartbeat_at=stale
    )

    counts = reap()

    job = run.jobs.get()
    assert counts["workerLost"] == 1
    assert job.status == JobStatus.FAILED
    assert "worker" in job.error
    assert resumed == [run.pk]


@pytest.mark.django_db
def test_an_adhoc_job_with_a_stale_heartbeat_is_failed(user: Any) -> None:
    stale = timezone.now() - timedelta(minutes=5)
    job = Job.objects.create(
        task_name="flow",
        task_type="flow",
        status=JobStatus.RUNNING,
        started_at=stale,
        heartbeat_at=stale,
    )

    reap()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


@pytest.mark.django_db
def test_a_healthy_running_job_is_left_alone(user: Any) -> None:
    plan = one_task_plan(user, "http://127.0.0.1:9/")
    run = run_plan(plan=plan, source="manual")
    Job.objects.filter(run=run).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    counts = reap()

    assert counts == {"overdue": 0, "workerLost": 0, "resumed": 0, "finished": 0}
    assert run.jobs.get().status == JobStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_log_line_for_a_deleted_job_is_dropped_quietly(user: Any) -> None:
    from tasks_engine.jobs import log_line

    job = Job.objects.create(task_name="gone", task_type="http")
    job_id = job.pk
    job.delete()

    log_line(job_id, "the worker finished after the plan was deleted")  # must not raise

    assert not JobLogLine.objects.filter(job_id=job_id).exists()
