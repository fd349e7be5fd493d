"""Runs through the API: run now, read, list, cancel and retry from failed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from flows.services import flow_create
from plans.models import Plan, Trigger
from plans.services import plan_create
from runs.models import Job, JobStatus, PlanRun, RunStatus
from runs.services import run_plan

pytestmark = pytest.mark.django_db

RUN_KEYS = {
    "id", "planId", "status", "source", "createdAt", "startedAt", "finishedAt", "error",
    "triggerId", "scheduledFor", "late", "retryOf", "parameterOverrides",
}  # fmt: skip
JOB_KEYS = {
    "id", "position", "taskName", "taskType", "status", "startedAt", "finishedAt", "error",
    "result",
}  # fmt: skip
T0 = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
T1 = datetime(2026, 11, 26, 4, 30, 7, 250000, tzinfo=UTC)


def fail_run(run: PlanRun) -> None:
    """Record the outcome of a run whose first job succeeded and second failed."""
    first, second = run.jobs.order_by("position")
    Job.objects.filter(pk=first.pk).update(
        status=JobStatus.SUCCEEDED, started_at=T0, finished_at=T1, result={"statusCode": 200}
    )
    Job.objects.filter(pk=second.pk).update(
        status=JobStatus.FAILED,
        started_at=T1,
        finished_at=T1,
        result={"statusCode": 500},
        error="HTTP 500 from https://example.com/x",
    )
    PlanRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, started_at=T0, finished_at=T1, error="Task 'Second' failed."
    )


# --- run now ---------------------------------------------------------------------------


def test_it_starts_a_run_with_an_empty_body(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()

    response = api_client(user).post(f"/v4/plans/{plan.pk}/run")

    assert response.status_code == 201
    run = PlanRun.objects.get()
    assert response.json() == {"validationStatus": "Valid", "planSnapshotRunId": run.pk}
    assert (run.plan, run.source, run.requested_by, run.status) == (plan, "api", user, "queued")
    assert list(run.jobs.order_by("position").values_list("task_name", "status")) == [
        ("First", "pending"),
        ("Second", "pending"),
    ]


@pytest.fixture
def flow_plan(user: Any) -> Plan:
    """A plan whose one task runs a flow with a `region` text parameter (default "eu")."""
    flow = flow_create(
        owner=user,
        name="Sales",
        definition={
            "parameters": [{"name": "region", "type": "string", "default": "eu"}],
            "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
            "recipes": [{"name": "by_region", "source": {"dataset": "sales"}, "steps": []}],
            "outputs": [
                {"name": "all", "recipe": "by_region", "path": "out/sales.csv", "format": "csv"}
            ],
        },
    )
    return plan_create(
        owner=user,
        name="Flows",
        tasks=[{"name": "build", "type": "flow", "config": {"flow": flow.pk}}],
    )


def test_it_starts_a_run_with_parameter_overrides(
    user: Any, api_client: Any, flow_plan: Plan
) -> None:
    overrides = {"Sales": {"region": "us"}}

    response = api_client(user).post(
        f"/v4/plans/{flow_plan.pk}/run", {"parameterOverrides": overrides}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert PlanRun.objects.get().parameter_overrides == overrides


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parameterOverrides": ["a"]}, "parameterOverrides"),
        ({"parameterOverrides": "x"}, "parameterOverrides"),
        ({"parameterOverrides": {"Sales": 3}}, "parameterOverrides.Sales"),
        ({"parameterOverrides": {"Other": {"region": "us"}}}, "parameterOverrides.Other"),
        ({"parameterOverrides": {"Sales": {"colour": "red"}}}, "parameterOverrides.Sales.colour"),
        ({"overrides": {}}, "overrides"),
    ],
)
def test_it_refuses_bad_overrides_and_starts_nothing(
    user: Any, api_client: Any, flow_plan: Plan, body: dict, field: str
) -> None:
    response = api_client(user).post(f"/v4/plans/{flow_plan.pk}/run", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"], response.json()
    assert not PlanRun.objects.exists()


def test_staff_can_run_anyones_plan(
    other_user: Any, staff_user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan(owner=other_user)
    response = api_client(staff_user).post(f"/v4/plans/{plan.pk}/run")
    assert response.status_code == 201
    assert PlanRun.objects.get().requested_by == staff_user


# --- read ------------------------------------------------------------------------------


def test_it_shows_a_run_with_its_jobs_in_order(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    run = make_run(plan)
    fail_run(run)

    response = api_client(user).get(f"/v4/planSnapshotRuns/{run.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == RUN_KEYS | {"jobs"}
    assert body["id"] == run.pk and body["planId"] == plan.pk
    assert (body["status"], body["source"]) == ("failed", "manual")
    assert body["startedAt"] == "2026-11-26T04:30:00Z"
    assert body["finishedAt"] == "2026-11-26T04:30:07Z"
    assert body["error"] == "Task 'Second' failed."
    assert (body["triggerId"], body["scheduledFor"], body["late"], body["retryOf"]) == (
        None,
        None,
        False,
        None,
    )
    assert body["parameterOverrides"] == {}
    jobs = body["jobs"]
    assert all(set(job) == JOB_KEYS for job in jobs)
    assert [(j["position"], j["taskName"], j["taskType"], j["status"]) for j in jobs] == [
        (1, "First", "http", "succeeded"),
        (2, "Second", "http", "failed"),
    ]
    assert jobs[0]["error"] is None and jobs[0]["result"] == {"statusCode": 200}
    assert jobs[1]["error"] == "HTTP 500 from https://example.com/x"


def test_a_scheduled_run_shows_its_trigger_and_slot(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    trigger = Trigger.objects.create(plan=plan, name="Nightly", kind="cron", cron="30 4 * * *")
    run = run_plan(plan=plan, source="schedule", trigger=trigger, scheduled_for=T0, late=True)

    body = api_client(user).get(f"/v4/planSnapshotRuns/{run.pk}").json()

    assert (body["source"], body["triggerId"], body["scheduledFor"], body["late"]) == (
        "schedule",
        trigger.pk,
        "2026-11-26T04:30:00Z",
        True,
    )


def test_an_outsider_gets_404_for_a_run(
    other_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    client = api_client(other_user)
    for method, suffix in [("get", ""), ("post", "/cancel"), ("post", "/retry")]:
        response = getattr(client, method)(f"/v4/planSnapshotRuns/{run.pk}{suffix}")
        assert response.status_code == 404, suffix
    run.refresh_from_db()
    assert run.status == "queued" and PlanRun.objects.count() == 1


def test_staff_can_read_anyones_run(
    other_user: Any, staff_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan(owner=other_user))
    assert api_client(staff_user).get(f"/v4/planSnapshotRuns/{run.pk}").json()["id"] == run.pk


# --- list ------------------------------------------------------------------------------


def test_it_lists_a_plans_runs_newest_first(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan, other_plan = make_plan(name="A"), make_plan(name="B")
    runs = [make_run(plan) for _ in range(3)]
    make_run(other_plan)

    response = api_client(user).get(f"/v4/planSnapshotRuns?planId={plan.pk}")

    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["data"]] == [r.pk for r in reversed(runs)]
    assert set(body["data"][0]) == RUN_KEYS
    assert body["next"] is None


def test_it_pages_the_run_list(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    runs = [make_run(plan) for _ in range(3)]
    client = api_client(user)

    first = client.get(f"/v4/planSnapshotRuns?planId={plan.pk}&limit=2").json()
    second = client.get(first["next"]).json()

    assert [r["id"] for r in first["data"]] == [runs[2].pk, runs[1].pk]
    assert f"planId={plan.pk}" in first["next"]
    assert [r["id"] for r in second["data"]] == [runs[0].pk]
    assert second["next"] is None


def test_it_filters_runs_by_status(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    failed, _queued = make_run(plan), make_run(plan)
    fail_run(failed)
    data = (
        api_client(user).get(f"/v4/planSnapshotRuns?planId={plan.pk}&status=failed").json()["data"]
    )
    assert [r["id"] for r in data] == [failed.pk]


def test_without_a_plan_it_lists_only_the_users_runs(
    user: Any, other_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    mine = make_run(make_plan())
    make_run(make_plan(owner=other_user))
    data = api_client(user).get("/v4/planSnapshotRuns").json()["data"]
    assert [r["id"] for r in data] == [mine.pk]


def test_listing_runs_of_someone_elses_plan_is_404(
    other_user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    make_run(plan)
    assert api_client(other_user).get(f"/v4/planSnapshotRuns?planId={plan.pk}").status_code == 404


@pytest.mark.parametrize(("query", "field"), [("planId=abc", "planId"), ("status=lost", "status")])
def test_bad_run_filters_are_400(user: Any, api_client: Any, query: str, field: str) -> None:
    response = api_client(user).get(f"/v4/planSnapshotRuns?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


# --- cancel ----------------------------------------------------------------------------


def test_it_cancels_a_queued_run(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())

    response = api_client(user).post(f"/v4/planSnapshotRuns/{run.pk}/cancel")

    assert response.status_code == 202
    body = response.json()
    assert body["id"] == run.pk and body["status"] == "canceled"
    assert [j["status"] for j in body["jobs"]] == ["canceled", "canceled"]
    assert body["finishedAt"] is not None
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED


def test_canceling_an_ended_run_is_a_409(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    fail_run(run)

    response = api_client(user).post(f"/v4/planSnapshotRuns/{run.pk}/cancel")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_canceling_twice_is_a_409_the_second_time(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    client = api_client(user)
    assert client.post(f"/v4/planSnapshotRuns/{run.pk}/cancel").status_code == 202
    assert client.post(f"/v4/planSnapshotRuns/{run.pk}/cancel").status_code == 409


# --- retry -----------------------------------------------------------------------------


def test_it_retries_a_failed_run_carrying_over_what_succeeded(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    run = make_run(plan)
    fail_run(run)
    # Editing the plan afterwards does not change what the retry runs.
    Plan.objects.filter(pk=plan.pk).update(name="Edited")
    client = api_client(user)

    response = client.post(f"/v4/planSnapshotRuns/{run.pk}/retry")

    assert response.status_code == 201
    new = PlanRun.objects.exclude(pk=run.pk).get()
    assert response.json() == {"validationStatus": "Valid", "planSnapshotRunId": new.pk}
    assert new.snapshot == run.snapshot
    body = client.get(f"/v4/planSnapshotRuns/{new.pk}").json()
    assert (body["source"], body["retryOf"], body["status"]) == ("retry", run.pk, "queued")
    assert [j["status"] for j in body["jobs"]] == ["succeeded", "pending"]


def test_a_retry_takes_parameter_overrides(user: Any, api_client: Any, flow_plan: Plan) -> None:
    run = run_plan(plan=flow_plan, source="api", parameter_overrides={"Sales": {"region": "us"}})
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    client = api_client(user)

    refused = client.post(
        f"/v4/planSnapshotRuns/{run.pk}/retry",
        {"parameterOverrides": {"Sales": {"nope": 1}}},
        format="json",
    )
    response = client.post(
        f"/v4/planSnapshotRuns/{run.pk}/retry",
        {"parameterOverrides": {"Sales": {"region": "ap"}}},
        format="json",
    )

    assert refused.status_code == 400
    assert "parameterOverrides.Sales.nope" in refused.json()["error"]["details"]
    assert response.status_code == 201
    new = PlanRun.objects.get(pk=response.json()["planSnapshotRunId"])
    assert new.parameter_overrides == {"Sales": {"region": "ap"}}
    assert PlanRun.objects.count() == 2


def test_retrying_an_active_run_is_a_409(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    response = api_client(user).post(f"/v4/planSnapshotRuns/{run.pk}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert PlanRun.objects.count() == 1


def test_a_bad_retry_body_is_a_400(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    run = make_run(make_plan())
    fail_run(run)
    response = api_client(user).post(
        f"/v4/planSnapshotRuns/{run.pk}/retry", {"parameterOverrides": [1]}, format="json"
    )
    assert response.status_code == 400
    assert "parameterOverrides" in response.json()["error"]["details"]
    assert PlanRun.objects.count() == 1
