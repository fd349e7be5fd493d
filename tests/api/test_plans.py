"""Plans through the API: list, create, read, update, delete, with the three personas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import Plan, PlanTask, Trigger
from tests.api.conftest import http_task

pytestmark = pytest.mark.django_db


def test_it_creates_a_plan_from_the_issue_example(
    user: Any, api_client: Any, example_body: dict
) -> None:
    response = api_client(user).post("/v4/plans", example_body, format="json")

    assert response.status_code == 201
    body = response.json()
    plan = Plan.objects.get()
    assert body["id"] == plan.pk and plan.owner == user
    assert body["name"] == "Nightly export"
    assert body["description"] == "Push the export to the warehouse."
    assert body["ownerId"] == user.pk
    assert body["latestPlanSnapshotRun"] is None
    assert body["createdAt"].endswith("Z") and len(body["createdAt"]) == len("2026-11-26T04:30:00Z")
    [task] = body["tasks"]
    assert task == {
        "id": plan.tasks.get().pk,
        "position": 1,
        "name": "Trigger export",
        "ref": "trigger_export",
        "type": "http",
        "config": {
            "method": "POST",
            "url": "https://example.com/hooks/export",
            "headers": {"Content-Type": "application/json"},
            "body": '{"full": true}',
            "timeoutSeconds": 30,
            "retries": 0,
            "validateSsl": True,
            "successCodes": ["2xx"],
            "secretKeySet": False,
        },
        "runWhen": "onSuccess",
        "upstream": [],
    }


def test_it_numbers_positions_from_one_and_resolves_upstream(user: Any, api_client: Any) -> None:
    body = {
        "name": "Three",
        "tasks": [
            http_task("Fetch"),
            {**http_task("Notify"), "ref": "notify_ok"},
            {**http_task("On failure"), "runWhen": "onFailure", "upstream": ["fetch"]},
        ],
    }
    response = api_client(user).post("/v4/plans", body, format="json")

    assert response.status_code == 201
    tasks = response.json()["tasks"]
    assert [t["position"] for t in tasks] == [1, 2, 3]
    assert [t["ref"] for t in tasks] == ["fetch", "notify_ok", "on_failure"]
    assert [t["upstream"] for t in tasks] == [[], ["fetch"], ["fetch"]]
    assert tasks[2]["runWhen"] == "onFailure"


def test_it_accepts_paths_with_a_trailing_slash(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    assert api_client(user).get(f"/v4/plans/{plan.pk}/").status_code == 200


def test_it_lists_only_the_users_own_plans(
    user: Any, other_user: Any, api_client: Any, make_plan: Callable
) -> None:
    mine = make_plan(name="Mine")
    make_plan(owner=other_user, name="Theirs")

    response = api_client(user).get("/v4/plans")

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["data"]] == [mine.pk]
    assert response.json()["next"] is None


def test_staff_see_every_plan(
    user: Any, other_user: Any, staff_user: Any, api_client: Any, make_plan: Callable
) -> None:
    plans = [make_plan(name="Mine"), make_plan(owner=other_user, name="Theirs")]
    response = api_client(staff_user).get("/v4/plans")
    assert [p["id"] for p in response.json()["data"]] == [p.pk for p in plans]
    assert api_client(staff_user).get(f"/v4/plans/{plans[0].pk}").status_code == 200


def test_it_shows_each_plans_latest_run(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    with_runs, without = make_plan(name="A"), make_plan(name="B")
    make_run(with_runs)
    latest = make_run(with_runs)

    data = api_client(user).get("/v4/plans").json()["data"]

    assert data[0]["latestPlanSnapshotRun"] == {
        "id": latest.pk,
        "status": "queued",
        "createdAt": latest.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert data[1]["id"] == without.pk and data[1]["latestPlanSnapshotRun"] is None


def test_it_pages_the_plan_list_with_a_next_link(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plans = [make_plan(name=f"P{i}") for i in range(5)]
    client = api_client(user)

    first = client.get("/v4/plans?limit=2").json()
    assert [p["id"] for p in first["data"]] == [p.pk for p in plans[:2]]
    assert first["next"].startswith("http://testserver/v4/plans?")
    second = client.get(first["next"]).json()
    assert [p["id"] for p in second["data"]] == [p.pk for p in plans[2:4]]
    third = client.get(second["next"]).json()
    assert [p["id"] for p in third["data"]] == [plans[4].pk]
    assert third["next"] is None


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5"])
def test_it_refuses_a_bad_limit(user: Any, api_client: Any, limit: str) -> None:
    response = api_client(user).get(f"/v4/plans?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["details"]


def test_it_caps_the_limit_at_1000(user: Any, api_client: Any, make_plan: Callable) -> None:
    make_plan()
    response = api_client(user).get("/v4/plans?limit=5000")
    assert response.status_code == 200 and len(response.json()["data"]) == 1


def _count_list_queries(client: Any, url: str) -> int:
    client.get(url)  # warm up: the token's last-used time is written once a minute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_plan_list_query_count_does_not_grow_with_rows(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    client = api_client(user)
    for i in range(2):
        make_run(make_plan(name=f"P{i}"))
    with_two = _count_list_queries(client, "/v4/plans")
    for i in range(2, 20):
        make_run(make_plan(name=f"P{i}", tasks=[http_task("A"), http_task("B"), http_task("C")]))
    with_twenty = _count_list_queries(client, "/v4/plans")
    # The token, the workspace switches (read once per request), the plans, their tasks.
    assert with_two == with_twenty <= 4


def test_it_reads_one_plan(user: Any, api_client: Any, make_plan: Callable) -> None:
    plan = make_plan(name="Readable")
    body = api_client(user).get(f"/v4/plans/{plan.pk}").json()
    assert body["id"] == plan.pk and body["name"] == "Readable"
    assert [t["name"] for t in body["tasks"]] == ["First", "Second"]
    assert [t["upstream"] for t in body["tasks"]] == [[], ["first"]]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "/run")],
)
def test_an_outsider_gets_404_for_someone_elses_plan(
    other_user: Any, api_client: Any, make_plan: Callable, method: str, suffix: str
) -> None:
    plan = make_plan()
    response = getattr(api_client(other_user), method)(
        f"/v4/plans/{plan.pk}{suffix}", {"name": "Hijacked"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    plan.refresh_from_db()
    assert plan.name == "Plan" and plan.runs.count() == 0


def test_a_missing_plan_is_404(user: Any, api_client: Any) -> None:
    assert api_client(user).get("/v4/plans/999999").status_code == 404


def test_it_updates_name_and_description(user: Any, api_client: Any, make_plan: Callable) -> None:
    plan = make_plan()
    task_ids = list(plan.tasks.values_list("pk", flat=True))

    response = api_client(user).patch(
        f"/v4/plans/{plan.pk}", {"name": "Renamed", "description": "Now described."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["description"] == "Now described."
    plan.refresh_from_db()
    assert plan.name == "Renamed"
    # Without `tasks`, the task list is untouched.
    assert list(plan.tasks.values_list("pk", flat=True)) == task_ids


def test_patching_tasks_keeps_the_ids_given_and_replaces_the_rest(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    first, second = plan.tasks.order_by("position")

    response = api_client(user).patch(
        f"/v4/plans/{plan.pk}",
        {
            "tasks": [
                {"id": second.pk, **http_task("Second, now first", url="https://example.com/2")},
                http_task("Brand new"),
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert tasks[0]["id"] == second.pk
    assert tasks[0]["position"] == 1
    assert tasks[0]["name"] == "Second, now first"
    assert tasks[0]["ref"] == "second"
    assert tasks[0]["config"]["url"] == "https://example.com/2"
    assert tasks[1]["id"] not in (first.pk, second.pk)
    assert not PlanTask.objects.filter(pk=first.pk).exists()


def test_a_plan_read_can_be_sent_back_unchanged(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)
    before = client.get(f"/v4/plans/{plan.pk}").json()

    response = client.patch(f"/v4/plans/{plan.pk}", before, format="json")

    assert response.status_code == 200, response.json()
    after = response.json()
    assert after["tasks"] == before["tasks"]


def test_it_pauses_a_plan_and_sets_its_overlap_policy(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    response = api_client(user).patch(
        f"/v4/plans/{plan.pk}",
        {"paused": True, "pauseReason": "Warehouse migration", "overlapPolicy": "queue"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["paused"], body["pauseReason"], body["overlapPolicy"]) == (
        True,
        "Warehouse migration",
        "queue",
    )
    plan.refresh_from_db()
    assert plan.paused and plan.pause_reason == "Warehouse migration"
    assert plan.overlap_policy == "queue"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"overlapPolicy": "sometimes"}, "overlapPolicy"),
        ({"paused": "yes"}, "paused"),
        ({"pauseReason": 5}, "pauseReason"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"description": None}, "description"),
        ({"tasks": None}, "tasks"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_patch_is_400_naming_the_field_and_changes_nothing(
    user: Any, api_client: Any, make_plan: Callable, body: dict, field: str
) -> None:
    plan = make_plan()
    response = api_client(user).patch(f"/v4/plans/{plan.pk}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    plan.refresh_from_db()
    assert (plan.name, plan.paused, plan.overlap_policy) == ("Plan", False, "allow")
    assert plan.tasks.count() == 2


def test_it_deletes_a_plan(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    make_run(plan)
    response = api_client(user).delete(f"/v4/plans/{plan.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Plan.objects.filter(pk=plan.pk).exists()


def test_it_answers_405_in_the_error_shape(user: Any, api_client: Any) -> None:
    response = api_client(user).put("/v4/plans", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, POST"


def test_an_unknown_api_path_is_a_json_404(user: Any, api_client: Any) -> None:
    response = api_client(user).get("/v4/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unpausing_does_not_catch_up_slots_missed_while_paused(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)
    assert client.patch(f"/v4/plans/{plan.pk}", {"paused": True}, format="json").status_code == 200
    long_ago = timezone.now() - timedelta(days=3)
    trigger = Trigger.objects.create(
        plan=plan, name="Hourly", kind="cron", cron="0 * * * *", handled_until=long_ago
    )

    response = client.patch(f"/v4/plans/{plan.pk}", {"paused": False}, format="json")

    assert response.status_code == 200
    assert (response.json()["paused"], response.json()["pauseReason"]) == (False, "")
    trigger.refresh_from_db()
    assert trigger.handled_until > long_ago + timedelta(days=2)


def test_a_patch_of_tasks_and_schedule_settings_applies_both(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    response = api_client(user).patch(
        f"/v4/plans/{plan.pk}",
        {"name": "Both", "tasks": [http_task("Only")], "overlapPolicy": "skip"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["overlapPolicy"], len(body["tasks"])) == ("Both", "skip", 1)
