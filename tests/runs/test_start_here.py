"""A scheduled run's first job executed by the firing task itself (`dispatch.start_here`)."""

from __future__ import annotations

from typing import Any

import pytest

from plans.services import plan_create
from runs.models import JobStatus, RunStatus
from runs.services import run_plan
from tasks_engine import dispatch
from tests.helpers import wait_for_run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_first_job_runs_here_once_and_the_rest_through_the_chain_even_if_started_twice(
    user: Any, http_peer: Any, celery_worker_process: Any
) -> None:
    http_peer.route("/first", status=200)
    http_peer.route("/second", status=200)
    plan = plan_create(
        owner=user,
        name="Started here",
        tasks=[
            {"name": "first", "type": "http", "config": {"url": http_peer.url("/first")}},
            {"name": "second", "type": "http", "config": {"url": http_peer.url("/second")}},
        ],
    )
    run = run_plan(plan=plan, source="schedule", enqueue=False)

    dispatch.start_here(run)
    first = run.jobs.get(position=1)
    assert first.status == JobStatus.SUCCEEDED  # ran in this process, before start_here returned
    dispatch.start_here(run)  # a duplicate firing message: nothing runs twice

    run = wait_for_run(run.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert len(http_peer.requests_to("/first")) == 1
    assert len(http_peer.requests_to("/second")) == 1
    assert all(job.attempts == 1 for job in run.jobs.all())
