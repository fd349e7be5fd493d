"""Job history through the API: filters, personas, query counts, one job with its log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runs.models import Job, JobLogLine, JobStatus

pytestmark = pytest.mark.django_db


def test_it_lists_jobs_newest_first_with_run_and_plan(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    older, newer = make_run(plan), make_run(plan)

    response = api_client(user).get("/v4/jobs")

    assert response.status_code == 200
    data = response.json()["data"]
    assert [(j["planSnapshotRunId"], j["taskName"]) for j in data] == [
        (newer.pk, "Second"),
        (newer.pk, "First"),
        (older.pk, "Second"),
        (older.pk, "First"),
    ]
    assert set(data[0]) == {
        "id", "position", "taskName", "taskType", "status", "startedAt", "finishedAt", "error",
        "result", "planSnapshotRunId", "planId",
    }  # fmt: skip
    assert {j["planId"] for j in data} == {plan.pk}


def test_it_filters_jobs_by_run_and_status(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    run, other_run = make_run(plan), make_run(plan)
    failed = run.jobs.get(position=2)
    Job.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, error="HTTP 500")
    client = api_client(user)

    by_run = client.get(f"/v4/jobs?planSnapshotRunId={run.pk}").json()["data"]
    by_run_and_status = client.get(f"/v4/jobs?planSnapshotRunId={run.pk}&status=failed").json()[
        "data"
    ]
    none_failed = client.get(f"/v4/jobs?planSnapshotRunId={other_run.pk}&status=failed").json()[
        "data"
    ]

    assert {j["planSnapshotRunId"] for j in by_run} == {run.pk} and len(by_run) == 2
    assert [(j["id"], j["error"]) for j in by_run_and_status] == [(failed.pk, "HTTP 500")]
    assert none_failed == []


def test_it_filters_jobs_by_plan_and_task_type(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    a, b = make_plan(name="A"), make_plan(name="B")
    make_run(a)
    make_run(b)
    client = api_client(user)

    assert {j["planId"] for j in client.get(f"/v4/jobs?planId={b.pk}").json()["data"]} == {b.pk}
    assert len(client.get("/v4/jobs?taskType=http").json()["data"]) == 4
    assert client.get("/v4/jobs?taskType=slack").json()["data"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("planSnapshotRunId=x", "planSnapshotRunId"),
        ("planId=1.5", "planId"),
        ("status=exploded", "status"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
    ],
)
def test_bad_job_filters_are_400_naming_the_parameter(
    user: Any, api_client: Any, query: str, field: str
) -> None:
    response = api_client(user).get(f"/v4/jobs?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_an_outsider_sees_no_jobs_of_others(
    user: Any, other_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    job = run.jobs.first()
    client = api_client(other_user)
    assert client.get("/v4/jobs").json()["data"] == []
    assert client.get(f"/v4/jobs?planSnapshotRunId={run.pk}").json()["data"] == []
    assert client.get(f"/v4/jobs/{job.pk}").status_code == 404


def test_staff_see_every_job(
    other_user: Any, staff_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan(owner=other_user))
    client = api_client(staff_user)
    assert len(client.get("/v4/jobs").json()["data"]) == 2
    assert client.get(f"/v4/jobs/{run.jobs.first().pk}").status_code == 200


def test_it_pages_jobs(user: Any, api_client: Any, make_plan: Callable, make_run: Callable) -> None:
    plan = make_plan()
    for _ in range(3):
        make_run(plan)
    client = api_client(user)
    ids: list[int] = []
    url: str | None = "/v4/jobs?limit=4"
    while url:
        body = client.get(url).json()
        assert len(body["data"]) <= 4
        ids += [j["id"] for j in body["data"]]
        url = body["next"]
    assert ids == sorted(Job.objects.values_list("pk", flat=True), reverse=True)


def _count_queries(client: Any, url: str) -> int:
    client.get(url)  # warm up: the token's last-used time is written once a minute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_job_list_query_count_does_not_grow_with_rows(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)
    make_run(plan)  # 2 jobs
    with_two = _count_queries(client, "/v4/jobs")
    for _ in range(9):
        make_run(plan)  # 20 jobs in all
    assert Job.objects.count() == 20
    with_twenty = _count_queries(client, "/v4/jobs")
    filtered = _count_queries(client, f"/v4/jobs?planId={plan.pk}&status=pending&taskType=http")
    # The token, the workspace switches (read once per request), the page of jobs.
    assert with_two == with_twenty == filtered <= 3


def test_it_shows_one_job_with_its_log(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    run = make_run(plan)
    job = run.jobs.get(position=1)
    at = datetime(2026, 11, 26, 4, 30, 1, tzinfo=UTC)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        started_at=at,
        finished_at=at,
        result={"statusCode": 204, "response": {"headers": {}, "body": ""}},
    )
    JobLogLine.objects.create(job=job, at=at, level="INFO", message="GET https://example.com/x")
    JobLogLine.objects.create(job=job, at=at, level="INFO", message="HTTP 204 in 12 ms")

    response = api_client(user).get(f"/v4/jobs/{job.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["planSnapshotRunId"], body["planId"]) == (job.pk, run.pk, plan.pk)
    assert (body["status"], body["startedAt"]) == ("succeeded", "2026-11-26T04:30:01Z")
    assert body["result"]["statusCode"] == 204
    assert body["log"] == [
        {"at": "2026-11-26T04:30:01Z", "level": "INFO", "message": "GET https://example.com/x"},
        {"at": "2026-11-26T04:30:01Z", "level": "INFO", "message": "HTTP 204 in 12 ms"},
    ]


def test_a_missing_job_is_404(user: Any, api_client: Any) -> None:
    assert api_client(user).get("/v4/jobs/424242").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/v4/jobs?planId=99999999999999999999",
        "/v4/jobs?planSnapshotRunId=99999999999999999999",
        "/v4/jobs?cursor=99999999999999999999",
        "/v4/planSnapshotRuns?planId=99999999999999999999",
    ],
)
def test_an_id_too_big_for_the_database_is_a_400(user: Any, api_client: Any, url: str) -> None:
    assert api_client(user).get(url).status_code == 400


@pytest.mark.parametrize("url", ["/v4/jobs/99999999999999999999", "/v4/plans/99999999999999999999"])
def test_an_object_id_too_big_for_the_database_is_a_404(
    user: Any, api_client: Any, url: str
) -> None:
    assert api_client(user).get(url).status_code == 404
