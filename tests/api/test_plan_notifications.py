"""GET/PUT /v4/plans/{id}/notifications: a plan's email switch and recipient lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifications.models import PlanEmailNotifications
from notifications.services import plan_notifications_update

pytestmark = pytest.mark.django_db

OFF = {"enabled": False, "onSuccess": [], "onFailure": [], "onAny": []}


def url(plan: Any) -> str:
    return f"/v4/plans/{plan.pk}/notifications"


def test_a_plan_never_set_up_reads_as_off_with_empty_lists(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()

    response = api_client(user).get(url(plan))

    assert response.status_code == 200
    assert response.json() == OFF
    assert not PlanEmailNotifications.objects.exists()  # reading creates nothing


def test_put_replaces_the_switch_and_the_lists(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(user)
    body = {
        "enabled": True,
        "onSuccess": ["a@x.com"],
        "onFailure": [" ops@example.com ", "OPS@example.com", "someone.without.account@gmail.com"],
        "onAny": [],
    }

    response = client.put(url(plan), body, format="json")

    expected = {
        "enabled": True,
        "onSuccess": ["a@x.com"],
        "onFailure": ["ops@example.com", "someone.without.account@gmail.com"],
        "onAny": [],
    }
    assert response.status_code == 200
    assert response.json() == expected
    assert client.get(url(plan)).json() == expected
    assert client.put(f"{url(plan)}/", {"enabled": False}, format="json").json() == OFF


def test_bad_addresses_are_a_400_naming_each_one_and_nothing_is_saved(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    plan_notifications_update(plan=plan, enabled=False, on_any=["keep@example.com"])

    response = api_client(user).put(
        url(plan),
        {
            "enabled": True,
            "onSuccess": ["ok@example.com"],
            "onFailure": ["ok@x.com", "bad@", 7],
            "onAny": "x@y.com",
        },
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"] == {
        "onFailure[1]": ["'bad@' is not a valid email address."],
        "onFailure[2]": ["Must be text (an email address)."],
        "onAny": ["Give a list of email addresses."],
    }
    row = PlanEmailNotifications.objects.get(plan=plan)
    assert (row.enabled, row.on_success, row.on_any) == (False, [], ["keep@example.com"])


def test_the_switch_must_be_a_boolean_and_is_reported_with_the_addresses(
    user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()

    response = api_client(user).put(url(plan), {"enabled": "yes", "onAny": ["nope"]}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"enabled", "onAny[0]"}
    assert not PlanEmailNotifications.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"onAny": ["a@x.com"]}, "enabled"),
        ({"enabled": True, "onFailures": ["a@x.com"]}, "onFailures"),
        ({"enabled": True, "onAny": [f"u{i}@x.com" for i in range(101)]}, "onAny"),
    ],
    ids=["missing-switch", "unknown-field", "too-many"],
)
def test_other_bad_bodies_are_a_400_naming_the_field(
    user: Any, api_client: Any, make_plan: Callable, body: dict, field: str
) -> None:
    plan = make_plan()

    response = api_client(user).put(url(plan), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not PlanEmailNotifications.objects.exists()


def test_an_outsider_gets_404_and_changes_nothing(
    user: Any, other_user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan()
    client = api_client(other_user)

    assert client.get(url(plan)).status_code == 404
    response = client.put(url(plan), {"enabled": True, "onAny": ["spy@x.com"]}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not PlanEmailNotifications.objects.exists()


def test_staff_may_read_and_change_any_plans_notifications(
    user: Any, staff_user: Any, api_client: Any, make_plan: Callable
) -> None:
    plan = make_plan(owner=user)

    response = api_client(staff_user).put(
        url(plan), {"enabled": True, "onAny": ["a@x.com"]}, format="json"
    )

    assert response.status_code == 200
    assert PlanEmailNotifications.objects.get(plan=plan).on_any == ["a@x.com"]


def test_other_methods_are_405(user: Any, api_client: Any, make_plan: Callable) -> None:
    response = api_client(user).patch(url(make_plan()), {"enabled": True}, format="json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT"
