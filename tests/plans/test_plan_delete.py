"""Deleting a plan while one of its runs is executing on a worker."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan
from plans.services import plan_create, plan_delete
from runs.models import Job, JobStatus, PlanRun
from runs.services import run_plan
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_plan_with_a_running_job_is_deleted_with_its_history(
    user: Any, http_peer: Any, celery_worker_process: Any
) -> None:
    http_peer.route("/slow", status=200, hold_s=1.5)
    plan = plan_create(
        owner=user,
        name="Deleted mid-run",
        tasks=[
            {"name": "slow", "type": "http", "config": {"url": http_peer.url("/slow")}},
            {"name": "after", "type": "http", "config": {"url": http_peer.url("/slow")}},
        ],
    )
    run = run_plan(plan=plan, source="manual")
    wait_until(
        lambda: Job.objects.filter(run=run, status=JobStatus.RUNNING).exists(),
        what="the first job to start",
    )

    plan_delete(plan=plan)

    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert not PlanRun.objects.filter(pk=run.pk).exists()
    # The worker finishes its request and finds nothing to record; the next job never starts.
    http_peer.wait_for_requests(1)
    assert len(http_peer.requests_to("/slow")) == 1
    assert not Job.objects.filter(run_id=run.pk).exists()


def test_a_log_line_written_while_the_plan_is_deleted_does_not_fail_the_delete(user: Any) -> None:
    import threading

    from django.db import connection
    from django.db.models.signals import post_delete
    from django.utils import timezone

    from runs.models import JobLogLine

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: a worker cannot write while the delete runs")
    plan = plan_create(
        owner=user,
        name="Racy",
        tasks=[{"name": "a", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}],
    )
    run = run_plan(plan=plan, source="manual")
    job = run.jobs.get()
    JobLogLine.objects.create(job=job, at=timezone.now(), message="started")
    raced: list[int] = []

    def worker_writes_a_log_line(**kwargs: Any) -> None:
        # Django deletes the log lines it collected, then the plan, then the jobs: a worker
        # committing a log line in between is the race (the job row is not deleted yet).
        if raced:
            return

        def write() -> None:
            JobLogLine.objects.create(job_id=job.pk, at=timezone.now(), message="still running")
            connection.close()

        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
        raced.append(1)

    post_delete.connect(worker_writes_a_log_line, sender=JobLogLine, weak=False)
    try:
        plan_delete(plan=plan)
    finally:
        post_delete.disconnect(worker_writes_a_log_line, sender=JobLogLine)

    assert raced == [1]
    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert not JobLogLine.objects.filter(job_id=job.pk).exists()
