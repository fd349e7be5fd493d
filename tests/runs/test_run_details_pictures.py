"""Run Details: graph and timeline, skip reasons, neighbours, Run again; Job Details live."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans.services import plan_create
from runs.models import Job, JobStatus, PlanRun, RunSource, RunStatus
from runs.services import run_plan

pytestmark = pytest.mark.django_db


def branching_plan(owner: Any, extra: int = 0) -> Any:
    tasks = [
        {"name": "Fetch items", "ref": "fetch_items", "type": "http", "config": {"url": "http://127.0.0.1:9/a"}},
        {"name": "Alert", "ref": "alert", "type": "http", "config": {"url": "http://127.0.0.1:9/alert"},
         "runWhen": "onFailure", "upstream": ["fetch_items"]},
    ]  # fmt: skip
    tasks += [
        {
            "name": f"Step {i}",
            "ref": f"step_{i}",
            "type": "http",
            "config": {"url": "http://127.0.0.1:9/"},
        }
        for i in range(extra)
    ]
    return plan_create(owner=owner, name="Branches", tasks=tasks)


def ended_run(owner: Any, extra: int = 0) -> PlanRun:
    """Fetch succeeded, so the on-failure alert was skipped; the rest succeeded."""
    run = run_plan(plan=branching_plan(owner, extra), source=RunSource.MANUAL, enqueue=False)
    now = timezone.now()
    run.jobs.update(
        status=JobStatus.SUCCEEDED, started_at=now - timedelta(seconds=2), finished_at=now
    )
    run.jobs.filter(task_ref="alert").update(
        status=JobStatus.SKIPPED, started_at=None, finished_at=None,
        result={"skipReason": "Runs only when an upstream task fails; none did."},
    )  # fmt: skip
    PlanRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, started_at=now - timedelta(seconds=3), finished_at=now
    )
    return run


def test_the_run_graph_has_a_node_per_task_with_its_status_in_words(client: Any, user: Any) -> None:
    run = ended_run(user)
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    graph = page[page.index('id="run-graph"') : page.index('id="run-timeline"')]
    assert 'data-nodes="2"' in graph and 'data-edges="1"' in graph
    assert 'data-ref="fetch_items" data-status="succeeded"' in graph
    assert 'data-ref="alert" data-status="skipped"' in graph
    assert "✓ succeeded" in graph
    assert 'data-condition="onFailure"' in graph and ">on failure</text>" in graph
    assert f'href="{reverse("runs:job", args=[run.jobs.get(task_ref="alert").pk])}"' in graph


def test_a_skipped_job_says_why_in_the_graph_timeline_table_and_its_details(
    client: Any, user: Any
) -> None:
    run = ended_run(user)
    alert = run.jobs.get(task_ref="alert")
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    details = client.get(reverse("runs:job", args=[alert.pk])).content.decode()

    why = "fetch_items succeeded, this runs on failure"
    assert page.count(f"skipped: {why}") >= 2  # node tooltip and timeline
    assert f"Skipped: {why}" in page  # the jobs table
    assert f'id="skip-reason">Skipped: {why}.' in details


def test_the_timeline_has_a_bar_per_job_that_ran(client: Any, user: Any) -> None:
    run = ended_run(user, extra=2)
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    timeline = page[page.index('id="run-timeline"') :]
    assert 'data-rows="4"' in timeline
    assert timeline.count('class="bar run"') == 3  # the skipped job has a marker instead
    assert timeline.count('class="marker"') == 1


def test_it_links_the_previous_and_next_runs_of_the_plan(client: Any, user: Any) -> None:
    plan = branching_plan(user)
    first, middle, last = (
        run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False) for _ in range(3)
    )
    run_plan(plan=branching_plan(user), source=RunSource.MANUAL, enqueue=False)  # another plan
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[middle.pk])).content.decode()
    oldest = client.get(reverse("runs:detail", args=[first.pk])).content.decode()
    newest = client.get(reverse("runs:detail", args=[last.pk])).content.decode()

    assert f'id="previous-run" rel="prev">&larr; Run #{first.pk}' in page
    assert f'id="next-run" rel="next">Run #{last.pk} &rarr;' in page
    assert 'id="previous-run"' not in oldest and "first run" in oldest
    assert 'id="next-run"' not in newest and "latest run" in newest


def test_an_ended_failed_run_offers_retry_with_its_snapshot_hint_and_run_again(
    client: Any, user: Any, viewer: Any, share: Callable[..., Any]
) -> None:
    run = ended_run(user)
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    share(run.plan, viewer)
    client.force_login(viewer)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    assert 'id="retry-run" aria-describedby="retry-hint">Retry from failed' in page
    assert "from this run's own snapshot" in page
    assert f'action="{reverse("plans:run", args=[run.plan_id])}"' in page
    assert 'id="run-again"' in page
    response = client.post(reverse("plans:run", args=[run.plan_id]))
    new = PlanRun.objects.exclude(pk=run.pk).get()
    assert response["Location"] == reverse("runs:detail", args=[new.pk])
    assert new.source == RunSource.MANUAL and new.retry_of_id is None


def test_an_active_run_asks_before_canceling_and_offers_no_run_again(
    client: Any, user: Any
) -> None:
    run = run_plan(plan=branching_plan(user), source=RunSource.MANUAL, enqueue=False)
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    assert re.search(r'data-confirm="Cancel run #\d+\?[^"]+">', page)
    assert 'id="run-again"' not in page and 'id="retry-run"' not in page
    assert "onsubmit" not in page and "<script>" not in page


@pytest.mark.parametrize("view", ["runs:detail", "runs:jobs_fragment"])
def test_run_details_cost_the_same_queries_for_2_or_32_jobs(
    client: Any, user: Any, view: str
) -> None:
    client.force_login(user)

    def count(run: PlanRun) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(view, args=[run.pk])).status_code == 200
        return len(queries)

    assert count(ended_run(user)) == count(ended_run(user, extra=30))


def test_job_details_refresh_while_the_job_runs_and_stop_once_it_ended(
    client: Any, user: Any
) -> None:
    run = run_plan(plan=branching_plan(user), source=RunSource.MANUAL, enqueue=False)
    job = run.jobs.get(task_ref="fetch_items")
    client.force_login(user)
    polling = f'hx-get="{reverse("runs:job_fragment", args=[job.pk])}" hx-trigger="every 2s"'

    pending = client.get(reverse("runs:job", args=[job.pk])).content.decode()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    running = client.get(reverse("runs:job_fragment", args=[job.pk])).content.decode()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, finished_at=timezone.now())
    ended = client.get(reverse("runs:job_fragment", args=[job.pk])).content.decode()

    assert polling in pending and polling in running
    assert polling not in ended and 'data-job-status="succeeded"' in ended
    assert not ended.lstrip().startswith("<!doctype")  # the fragment alone


def test_job_details_cost_the_same_queries_with_2_or_32_sibling_jobs(
    client: Any, user: Any
) -> None:
    client.force_login(user)

    def count(run: PlanRun) -> int:
        job = run.jobs.get(task_ref="alert")  # skipped: its reason reads the siblings
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("runs:job", args=[job.pk])).status_code == 200
        return len(queries)

    assert count(ended_run(user)) == count(ended_run(user, extra=30))


def test_an_outsider_gets_404_from_the_job_fragment(
    client: Any, user: Any, other_user: Any
) -> None:
    job = ended_run(user).jobs.first()
    client.force_login(other_user)

    assert client.get(reverse("runs:job_fragment", args=[job.pk])).status_code == 404
