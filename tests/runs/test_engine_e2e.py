"""The plan engine end to end: a real worker process executes snapshots as chained jobs."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from plans.services import plan_create, plan_update
from runs.models import Job, JobStatus, PlanRun, RunStatus
from runs.services import run_plan
from tasks_engine.tasks import execute_job
from tests.helpers import wait_for_run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def http_task(name: str, url: str, **config: Any) -> dict[str, Any]:
    return {"name": name, "type": "http", "config": {"method": "POST", "url": url, **config}}


def test_it_runs_three_tasks_as_separate_jobs_one_after_the_other(
    user: Any, http_peer: Any, celery_worker_process: Any, client: Any
) -> None:
    for path in ("/one", "/two", "/three"):
        http_peer.route(path, status=200, body=b'{"ok": true}', hold_s=0.2)
    plan = plan_create(
        owner=user,
        name="Three steps",
        tasks=[http_task(n, http_peer.url(f"/{n}")) for n in ("one", "two", "three")],
    )

    run = run_plan(plan=plan, source="manual", requested_by=user)
    run = wait_for_run(run.pk)

    assert run.status == RunStatus.SUCCEEDED, celery_worker_process.log()[-3000:]
    jobs = list(run.jobs.order_by("position"))
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] * 3
    assert len({j.pk for j in jobs}) == 3
    requests = http_peer.requests
    assert [r.path for r in requests] == ["/one", "/two", "/three"]
    for previous, current in itertools.pairwise(requests):
        assert previous.responded_monotonic is not None
        assert current.arrived_monotonic >= previous.responded_monotonic, "jobs overlapped"
    for earlier, later in itertools.pairwise(jobs):
        assert later.started_at >= earlier.finished_at
    client.force_login(user)
    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    assert page.count("succeeded") >= 3
    for name in ("one", "two", "three"):
        assert name in page


def test_a_failed_task_skips_the_rest_and_fails_the_run(
    user: Any, http_peer: Any, celery_worker_process: Any, api_client: Any
) -> None:
    http_peer.route("/work", status=200)
    http_peer.route("/boom", status=500, body=b"kaput")
    http_peer.route("/after", status=200)
    plan = plan_create(
        owner=user,
        name="Fails in the middle",
        tasks=[
            http_task("work", http_peer.url("/work")),
            http_task("boom", http_peer.url("/boom")),
            http_task("after", http_peer.url("/after")),
        ],
    )

    run = wait_for_run(run_plan(plan=plan, source="api").pk)

    assert run.status == RunStatus.FAILED
    assert "boom" in run.error
    first, second, third = run.jobs.order_by("position")
    assert first.status == JobStatus.SUCCEEDED
    assert second.status == JobStatus.FAILED
    assert "500" in second.error
    assert second.result["statusCode"] == 500
    assert third.status == JobStatus.SKIPPED
    assert http_peer.requests_to("/after") == []
    body = api_client(user).get(f"/v4/planSnapshotRuns/{run.pk}").json()
    assert body["status"] == "failed"
    assert [j["status"] for j in body["jobs"]] == ["succeeded", "failed", "skipped"]
    assert "500" in body["jobs"][1]["error"]


def test_a_run_executes_its_snapshot_even_if_the_plan_changes_while_it_waits(
    user: Any, http_peer: Any, celery_worker_process: Any
) -> None:
    for path in ("/old-a", "/old-b", "/new-a"):
        http_peer.route(path, status=200)
    plan = plan_create(
        owner=user,
        name="Edited while queued",
        tasks=[http_task("a", http_peer.url("/old-a")), http_task("b", http_peer.url("/old-b"))],
    )
    with transaction.atomic():
        # The chain is only sent on commit: until then the run waits, and the plan is edited.
        run = run_plan(plan=plan, source="manual")
        task_a = plan.tasks.get(ref="a")
        plan_update(plan=plan, tasks=[{"id": task_a.pk, **http_task("a", http_peer.url("/new-a"))}])

    run = wait_for_run(run.pk)

    assert run.status == RunStatus.SUCCEEDED
    assert [r.path for r in http_peer.requests] == ["/old-a", "/old-b"]
    assert run.jobs.count() == 2
    assert plan.tasks.count() == 1


def test_a_job_message_delivered_twice_makes_one_request(
    user: Any, http_peer: Any, celery_worker_process: Any
) -> None:
    http_peer.route("/once", status=200, hold_s=0.3)
    http_peer.route("/twice", status=200)
    plan = plan_create(
        owner=user,
        name="Duplicate delivery",
        tasks=[
            http_task("once", http_peer.url("/once")),
            http_task("twice", http_peer.url("/twice")),
        ],
    )
    run = run_plan(plan=plan, source="manual")
    for job in Job.objects.filter(run=run):
        execute_job.delay(job.pk)
        execute_job.delay(job.pk)

    run = wait_for_run(run.pk)
    http_peer.wait_for_requests(2)
    # Give the duplicates time to have done something wrong, then check they did not.
    wait_for_run(run_plan(plan=plan, source="manual").pk)

    assert run.status == RunStatus.SUCCEEDED
    assert len(http_peer.requests_to("/once")) == 2  # one per run, not per message
    assert len(http_peer.requests_to("/twice")) == 2
    assert all(j.attempts == 1 for j in Job.objects.filter(run__plan=plan))
    assert PlanRun.objects.filter(plan=plan).count() == 2
