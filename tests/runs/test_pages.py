"""Run Details, its live fragment, cancel/retry, Job History and Job Details, as personas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan
from plans.services import plan_create
from runs.models import Job, JobLogLine, JobStatus, PlanRun, RunSource, RunStatus
from runs.services import run_plan

pytestmark = pytest.mark.django_db

POLLING = 'hx-trigger="every 1s"'


def make_run(owner: Any, name: str = "Export", n_tasks: int = 3) -> PlanRun:
    plan = plan_create(
        owner=owner,
        name=name,
        tasks=[
            {
                "name": f"step {i}",
                "type": "http",
                "config": {"method": "GET", "url": f"http://127.0.0.1:9/s{i}"},
            }
            for i in range(1, n_tasks + 1)
        ],
    )
    return run_plan(plan=plan, source=RunSource.MANUAL, requested_by=owner)


def finish(run: PlanRun, status: str = RunStatus.SUCCEEDED, error: str = "") -> None:
    """Record an outcome directly: these tests are about pages, not the engine."""
    now = timezone.now()
    PlanRun.objects.filter(pk=run.pk).update(
        status=status, started_at=now - timedelta(seconds=3), finished_at=now, error=error
    )


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_run_details_show_one_row_per_job_with_status_code_and_error(
    client: Any, user: Any
) -> None:
    run = make_run(user)
    now = timezone.now()
    first, second, third = run.jobs.order_by("position")
    Job.objects.filter(pk=first.pk).update(
        status=JobStatus.SUCCEEDED,
        started_at=now - timedelta(seconds=2),
        finished_at=now - timedelta(seconds=1),
        result={"statusCode": 204},
    )
    Job.objects.filter(pk=second.pk).update(
        status=JobStatus.FAILED,
        started_at=now - timedelta(seconds=1),
        finished_at=now,
        result={"statusCode": 500},
        error="HTTP 500 Internal Server Error",
    )
    Job.objects.filter(pk=third.pk).update(status=JobStatus.SKIPPED)
    finish(run, RunStatus.FAILED, error="Task 'step 2' failed.")
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    assert page.count('data-job-status="') == 3
    for status in ("succeeded", "failed", "skipped"):
        assert f'data-job-status="{status}"' in page
    assert 'data-label="HTTP">204</td>' in page and 'data-label="HTTP">500</td>' in page
    assert "HTTP 500 Internal Server Error" in page
    assert "Task &#x27;step 2&#x27; failed." in page
    assert '<td data-label="Duration">1 s</td>' in page
    assert "manual" in page


def test_run_details_answer_404_to_an_outsider(client: Any, user: Any, other_user: Any) -> None:
    run = make_run(user)
    client.force_login(other_user)

    for name in ("runs:detail", "runs:jobs_fragment"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    for name in ("runs:cancel", "runs:retry"):
        assert client.post(reverse(name, args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_staff_see_anyones_run(client: Any, user: Any, staff_user: Any) -> None:
    run = make_run(user)
    client.force_login(staff_user)

    assert client.get(reverse("runs:detail", args=[run.pk])).status_code == 200


def test_run_pages_redirect_anonymous_visitors_to_login(client: Any, user: Any) -> None:
    run = make_run(user)
    job = run.jobs.first()
    urls = [
        reverse("runs:detail", args=[run.pk]),
        reverse("runs:jobs_fragment", args=[run.pk]),
        reverse("runs:jobs"),
        reverse("runs:job", args=[job.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_the_fragment_polls_while_the_run_is_active_and_stops_once_it_has_ended(
    client: Any, user: Any
) -> None:
    run = make_run(user)
    client.force_login(user)
    fragment_url = reverse("runs:jobs_fragment", args=[run.pk])

    queued = client.get(fragment_url).content.decode()
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    running = client.get(fragment_url).content.decode()
    finish(run)
    ended = client.get(fragment_url).content.decode()

    for active in (queued, running):
        assert POLLING in active
        assert f'hx-get="{fragment_url}"' in active
        assert 'hx-swap="outerHTML"' in active
    assert POLLING not in ended and "hx-get" not in ended
    # The status header refreshes with the jobs: it lives inside the fragment.
    assert 'data-run-status="succeeded"' in ended
    assert "<h1>Run #" in ended


def test_the_full_page_polls_only_while_active(client: Any, user: Any) -> None:
    run = make_run(user)
    client.force_login(user)
    url = reverse("runs:detail", args=[run.pk])

    assert POLLING in client.get(url).content.decode()
    finish(run, RunStatus.FAILED)
    assert POLLING not in client.get(url).content.decode()


def test_cancel_ends_an_active_run(client: Any, user: Any) -> None:
    run = make_run(user)
    client.force_login(user)

    response = client.post(reverse("runs:cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert set(run.jobs.values_list("status", flat=True)) == {JobStatus.CANCELED}
    assert f"Run #{run.pk} canceled." in response.content.decode()


def test_cancel_of_an_ended_run_says_so_and_changes_nothing(client: Any, user: Any) -> None:
    run = make_run(user)
    finish(run)
    client.force_login(user)

    response = client.post(reverse("runs:cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert "had already ended" in response.content.decode()


def test_retry_starts_a_retry_run_of_a_failed_run(client: Any, user: Any) -> None:
    run = make_run(user)
    first = run.jobs.order_by("position").first()
    Job.objects.filter(pk=first.pk).update(status=JobStatus.SUCCEEDED, result={"statusCode": 200})
    run.jobs.exclude(pk=first.pk).update(status=JobStatus.FAILED)
    finish(run, RunStatus.FAILED)
    client.force_login(user)
    assert "Retry from failed" in client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    response = client.post(reverse("runs:retry", args=[run.pk]))

    retry = PlanRun.objects.get(retry_of=run)
    assert response["Location"] == reverse("runs:detail", args=[retry.pk])
    assert retry.source == RunSource.RETRY
    assert retry.jobs.get(position=1).status == JobStatus.SUCCEEDED


def test_retry_is_offered_only_for_failed_runs(client: Any, user: Any) -> None:
    run = make_run(user)
    client.force_login(user)
    url = reverse("runs:detail", args=[run.pk])

    assert "Retry from failed" not in client.get(url).content.decode()
    finish(run, RunStatus.SUCCEEDED)
    assert "Retry from failed" not in client.get(url).content.decode()


def test_retry_of_an_active_run_is_refused_with_a_message(client: Any, user: Any) -> None:
    run = make_run(user)
    client.force_login(user)

    response = client.post(reverse("runs:retry", args=[run.pk]), follow=True)

    assert not PlanRun.objects.filter(retry_of=run).exists()
    assert "still queued" in response.content.decode()


def test_job_history_lists_only_the_users_jobs_newest_first(
    client: Any, user: Any, other_user: Any
) -> None:
    older = make_run(user, "Older")
    newer = make_run(user, "Newer")
    make_run(other_user, "Secret plan")
    client.force_login(user)

    page = client.get(reverse("runs:jobs")).content.decode()

    assert "Secret plan" not in page
    assert page.index(reverse("runs:detail", args=[newer.pk])) < page.index(
        reverse("runs:detail", args=[older.pk])
    )
    assert page.count('data-job-status="') == 6


def test_job_history_filters_by_status_plan_and_type(client: Any, user: Any) -> None:
    run = make_run(user, "Alpha")
    other = make_run(user, "Beta")
    failed = run.jobs.order_by("position").last()
    Job.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)
    client.force_login(user)
    url = reverse("runs:jobs")

    by_status = client.get(url, {"status": "failed"}).content.decode()
    by_plan = client.get(url, {"plan": other.plan_id}).content.decode()
    by_type = client.get(url, {"type": "slack"}).content.decode()
    nonsense = client.get(url, {"status": "exploded", "plan": "x"}).content.decode()

    assert by_status.count('data-job-status="') == 1
    assert reverse("runs:job", args=[failed.pk]) in by_status
    assert by_plan.count('data-job-status="') == 3
    assert reverse("runs:detail", args=[run.pk]) not in by_plan
    assert by_type.count('data-job-status="') == 0
    assert nonsense.count('data-job-status="') == 6


def test_job_history_is_paged_by_50_following_the_older_link(client: Any, user: Any) -> None:
    plan = Plan.objects.create(owner=user, name="Many")
    Job.objects.bulk_create(
        Job(plan=plan, task_name=f"job {i}", task_type="http") for i in range(60)
    )
    client.force_login(user)

    first = client.get(reverse("runs:jobs"))
    second = client.get(reverse("runs:jobs"), {"after": first.context["page"].older})

    assert first.content.decode().count('data-job-status="') == 50
    assert second.content.decode().count('data-job-status="') == 10
    assert second.context["page"].older is None
    seen = [job.pk for job in first.context["page"].items + second.context["page"].items]
    assert sorted(seen, reverse=True) == seen
    assert len(set(seen)) == 60


def test_job_history_costs_the_same_queries_for_2_or_20_runs(client: Any, user: Any) -> None:
    client.force_login(user)
    for i in range(2):
        make_run(user, f"plan {i}", n_tasks=1)
    with_two = count_queries(client, reverse("runs:jobs"))
    for i in range(2, 20):
        make_run(user, f"plan {i}", n_tasks=1)

    with_twenty = count_queries(client, reverse("runs:jobs") + "?status=pending")

    assert with_twenty == with_two


def test_job_details_show_request_response_log_and_error_without_secrets(
    client: Any, user: Any
) -> None:
    run = make_run(user, n_tasks=1)
    job = run.jobs.get()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        attempts=1,
        error="HTTP 503 Service Unavailable",
        result={
            "statusCode": 503,
            "attempts": 2,
            "request": {
                "method": "POST",
                "url": "http://127.0.0.1:9/s1",
                "headers": {"Authorization": "Bearer top-secret-token", "X-Trace": "abc"},
                "body": '{"hello": "world"}',
            },
            "response": {
                "statusCode": 503,
                "reason": "Service Unavailable",
                "headers": {"Content-Type": "text/plain", "Set-Cookie": "session=hunter2"},
                "body": "try later",
                "bodyTruncated": True,
                "elapsedMs": 12,
            },
        },
    )
    JobLogLine.objects.create(job=job, at=timezone.now(), message="Attempt 1/2: HTTP 503 in 12 ms.")
    client.force_login(user)

    page = client.get(reverse("runs:job", args=[job.pk])).content.decode()

    assert "http://127.0.0.1:9/s1" in page and "POST" in page
    assert "{&quot;hello&quot;: &quot;world&quot;}" in page
    assert "X-Trace" in page and "abc" in page
    assert "503" in page and "Service Unavailable" in page and "try later" in page
    assert "first 64 KiB" in page
    assert "Attempt 1/2: HTTP 503 in 12 ms." in page
    assert "HTTP 503 Service Unavailable" in page
    assert reverse("runs:detail", args=[run.pk]) in page
    assert "top-secret-token" not in page
    assert "hunter2" not in page


def test_job_details_answer_404_to_an_outsider(client: Any, user: Any, other_user: Any) -> None:
    job = make_run(user, n_tasks=1).jobs.get()
    client.force_login(other_user)

    assert client.get(reverse("runs:job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_an_owner_sees_the_adhoc_runs_of_their_own_flows_and_an_outsider_does_not(
    client: Any, user: Any, other_user: Any
) -> None:
    from flows.models import Flow

    flow = Flow.objects.create(name="Sales rollup", owner=user)
    job = Job.objects.create(task_name="Sales rollup", task_type="flow", owner=flow.owner)

    client.force_login(user)
    assert "Sales rollup" in client.get(reverse("runs:jobs")).content.decode()
    assert client.get(reverse("runs:job", args=[job.pk])).status_code == 200
    client.force_login(other_user)
    assert "Sales rollup" not in client.get(reverse("runs:jobs")).content.decode()
    assert client.get(reverse("runs:job", args=[job.pk])).status_code == 404
