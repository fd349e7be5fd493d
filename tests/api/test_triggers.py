"""The triggers API: the issue's JSON, local times, 400 naming the field, owners only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from plans.models import Plan, Trigger
from plans.services import plan_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(user: Any) -> Plan:
    return plan_create(
        owner=user,
        name="Nightly",
        tasks=[
            {
                "name": "Export",
                "type": "http",
                "config": {"method": "GET", "url": "https://example.com/x"},
            }
        ],
    )


@pytest.fixture
def client(api_client: Callable[[Any], Any], user: Any) -> Any:
    return api_client(user)


def test_it_creates_a_cron_trigger_and_answers_the_issues_json(client: Any, plan: Plan) -> None:
    response = client.post(
        f"/v4/plans/{plan.pk}/triggers",
        {"name": "Nightly", "kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    trigger = Trigger.objects.get()
    assert body == {
        "id": trigger.pk,
        "planId": plan.pk,
        "name": "Nightly",
        "enabled": True,
        "kind": "cron",
        "cron": "30 2 * * *",
        "every": None,
        "unit": None,
        "runAt": None,
        "timezone": "Europe/Berlin",
        "startAt": None,
        "endAt": None,
        "parameterOverrides": {},
        "nextFireTimes": [
            "2026-03-28T02:30:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00",
            "2026-03-31T02:30:00+02:00",
            "2026-04-01T02:30:00+02:00",
        ],
    }
    assert PeriodicTask.objects.filter(name=f"plans.trigger:{trigger.pk}").exists()


def test_it_reads_a_time_without_offset_as_local_time_in_the_triggers_zone(
    client: Any, plan: Plan
) -> None:
    response = client.post(
        f"/v4/plans/{plan.pk}/triggers",
        {
            "name": "Once",
            "kind": "once",
            "runAt": "2026-04-01T09:15:00",
            "timezone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["runAt"] == "2026-04-01T09:15:00-04:00"
    assert response.json()["nextFireTimes"] == ["2026-04-01T09:15:00-04:00"]
    assert Trigger.objects.get().run_at == datetime(2026, 4, 1, 13, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "cron", "cron": "61 * * * *"}, "cron"),
        ({"kind": "cron", "cron": "* * *"}, "cron"),
        ({"kind": "cron", "cron": "0 6 * * *", "timezone": "Europe/Atlantis"}, "timezone"),
        ({"kind": "interval", "every": 0, "unit": "seconds"}, "every"),
        ({"kind": "interval", "every": -1, "unit": "hours"}, "every"),
        ({"kind": "once", "runAt": "2026-03-27T11:00:00Z"}, "runAt"),
        (
            {
                "kind": "cron",
                "cron": "0 6 * * *",
                "startAt": "2026-05-01T00:00:00Z",
                "endAt": "2026-04-01T00:00:00Z",
            },
            "endAt",
        ),
        ({"kind": "once", "runAt": "next tuesday"}, "runAt"),
        ({"kind": "cron", "cron": "0 6 * * *", "colour": "red"}, "colour"),
    ],
)
def test_it_answers_400_naming_the_field_and_saves_nothing(
    client: Any, plan: Plan, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/v4/plans/{plan.pk}/triggers", {"name": "Bad", **body}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]
    assert not Trigger.objects.exists()


def test_it_reads_lists_updates_and_deletes_a_trigger(client: Any, plan: Plan) -> None:
    created = client.post(
        f"/v4/plans/{plan.pk}/triggers",
        {"name": "Every 2 s", "kind": "interval", "every": 2, "unit": "seconds"},
        format="json",
    ).json()
    url = f"/v4/triggers/{created['id']}"
    assert client.get(url).json() == created
    listed = client.get(f"/v4/plans/{plan.pk}/triggers").json()
    assert listed == {"data": [created], "next": None}
    assert created["nextFireTimes"][:2] == [
        "2026-03-27T12:00:02+00:00",
        "2026-03-27T12:00:04+00:00",
    ]

    patched = client.patch(url, {"enabled": False, "name": "Paused one"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["enabled"], patched.json()["name"]) == (False, "Paused one")
    assert not PeriodicTask.objects.filter(name=f"plans.trigger:{created['id']}").exists()

    bad = client.patch(url, {"every": 0}, format="json")
    assert bad.status_code == 400 and "every" in bad.json()["error"]["details"]
    assert Trigger.objects.get().every == 2

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert not Trigger.objects.exists()


def test_an_outsider_sees_no_triggers(
    api_client: Callable[[Any], Any], other_user: Any, client: Any, plan: Plan
) -> None:
    created = client.post(
        f"/v4/plans/{plan.pk}/triggers",
        {"name": "T", "kind": "cron", "cron": "0 6 * * *"},
        format="json",
    ).json()
    outsider = api_client(other_user)
    assert outsider.get(f"/v4/plans/{plan.pk}/triggers").status_code == 404
    assert outsider.get(f"/v4/triggers/{created['id']}").status_code == 404
    assert outsider.delete(f"/v4/triggers/{created['id']}").status_code == 404
    assert Trigger.objects.exists()
