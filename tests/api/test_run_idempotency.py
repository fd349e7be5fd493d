"""`POST /v4/plans/{id}/run` with an `Idempotency-Key`: a repeated request never starts a
second run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from runs.models import PlanRun
from runs.services import RunStateError, run_plan_once

pytestmark = pytest.mark.django_db


def test_the_same_key_twice_returns_the_first_run_and_starts_nothing_more(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)

    first = client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="nightly-2026-11-26")
    again = client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="nightly-2026-11-26")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    run = PlanRun.objects.get()
    assert run.idempotency_key == "nightly-2026-11-26"
    assert run.jobs.count() == 2  # the replay added no jobs either


def test_other_keys_other_plans_and_no_key_each_start_their_own_run(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan, other_plan = make_plan(), make_plan(name="Other")
    client = api_client(user)

    ids = {
        client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="a").json()[
            "planSnapshotRunId"
        ],
        client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="b").json()[
            "planSnapshotRunId"
        ],
        client.post(f"/v4/plans/{other_plan.pk}/run", HTTP_IDEMPOTENCY_KEY="a").json()[
            "planSnapshotRunId"
        ],
        client.post(f"/v4/plans/{plan.pk}/run").json()["planSnapshotRunId"],
        client.post(f"/v4/plans/{plan.pk}/run").json()["planSnapshotRunId"],
    }

    assert len(ids) == 5 == PlanRun.objects.count()


def test_the_same_key_with_other_parameter_overrides_is_a_conflict(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)
    client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="k")

    # The plan has no flows, so the only valid override set is empty; simulate a first run
    # made with others by recording them on it.
    PlanRun.objects.update(parameter_overrides={"Sales": {"region": "us"}})
    response = client.post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "Idempotency-Key" in error["message"] and "parameterOverrides" in error["message"]
    assert PlanRun.objects.count() == 1


def test_a_key_over_200_characters_is_refused_and_starts_nothing(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    response = api_client(user).post(f"/v4/plans/{plan.pk}/run", HTTP_IDEMPOTENCY_KEY="k" * 201)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert not PlanRun.objects.exists()


def test_a_reused_key_raises_in_the_service_too(user: Any, make_plan: Callable) -> None:
    plan = make_plan()
    run, created = run_plan_once(plan=plan, idempotency_key="k", source="api")
    assert created
    assert run_plan_once(plan=plan, idempotency_key="k", source="api") == (run, False)
    PlanRun.objects.update(parameter_overrides={"x": {}})
    with pytest.raises(RunStateError):
        run_plan_once(plan=plan, idempotency_key="k", source="api")


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_start_one_run(user: Any, make_plan: Callable) -> None:
    """Both pass the "no run has this key yet" read; the unique constraint decides."""
    plan = make_plan()
    barrier = threading.Barrier(2)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def request() -> None:
        try:
            barrier.wait(timeout=10)
            run, created = run_plan_once(plan=plan, idempotency_key="race", source="api")
            results.append((run.pk, created))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert PlanRun.objects.count() == 1
    run_id = PlanRun.objects.get().pk
    assert sorted(results, key=lambda r: r[1]) == [(run_id, False), (run_id, True)]
