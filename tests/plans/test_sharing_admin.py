"""Collaborators inline on the plan's admin page: the same rules as the API and Plan View."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from plans.models import Plan, PlanShare
from plans.services import plan_create
from tests.plans.test_admin import ADD_URL, change_data
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_plan(staff_user: Any) -> Plan:
    task = {
        "name": "Call",
        "type": "http",
        "config": {"method": "GET", "url": "https://example.com/"},
    }
    return plan_create(owner=staff_user, name="Shared in the admin", tasks=[task])


def with_shares(
    data: dict[str, Any], rows: list[dict[str, Any]], initial: int = 0
) -> dict[str, Any]:
    data = {**data, "shares-TOTAL_FORMS": str(len(rows)), "shares-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"shares-{index}-{key}"] = value
    return data


def post(client: Any, plan: Plan, data: dict[str, Any]) -> Any:
    return client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)


def test_staff_add_change_and_remove_collaborators(
    client: Any, staff_user: Any, admin_plan: Plan, viewer: Any
) -> None:
    client.force_login(staff_user)
    base = change_data(admin_plan, staff_user)

    added = post(client, admin_plan, with_shares(base, [{"user": viewer.pk, "role": "viewer"}]))
    share = PlanShare.objects.get()
    changed = post(
        client,
        admin_plan,
        with_shares(
            base, [{"id": share.pk, "plan": admin_plan.pk, "user": viewer.pk, "role": "editor"}], 1
        ),
    )
    role_after_change = PlanShare.objects.get().role
    removed = post(
        client,
        admin_plan,
        with_shares(
            base,
            [
                {
                    "id": share.pk,
                    "plan": admin_plan.pk,
                    "user": viewer.pk,
                    "role": "editor",
                    "DELETE": "on",
                }
            ],
            1,
        ),
    )

    assert [added.status_code, changed.status_code, removed.status_code] == [302, 302, 302]
    assert (share.user, share.role, share.created_by) == (viewer, "viewer", staff_user)
    assert role_after_change == "editor"
    assert not PlanShare.objects.exists()


def test_sharing_with_the_owner_is_an_error_on_the_row(
    client: Any, staff_user: Any, admin_plan: Plan
) -> None:
    client.force_login(staff_user)

    response = post(
        client,
        admin_plan,
        with_shares(
            change_data(admin_plan, staff_user), [{"user": staff_user.pk, "role": "viewer"}]
        ),
    )

    assert response.status_code == 200
    assert "owns this plan" in response.content.decode()
    assert not PlanShare.objects.exists()


def test_with_sharing_off_the_admin_adds_no_collaborator(
    client: Any, staff_user: Any, admin_plan: Plan, viewer: Any
) -> None:
    workspace_settings_update(sharing_enabled=False)
    client.force_login(staff_user)

    response = post(
        client,
        admin_plan,
        with_shares(change_data(admin_plan, staff_user), [{"user": viewer.pk, "role": "viewer"}]),
    )

    assert response.status_code == 200
    assert "Sharing is turned off" in response.content.decode()
    assert not PlanShare.objects.exists()


def test_the_add_page_has_no_collaborators_yet(client: Any, staff_user: Any) -> None:
    client.force_login(staff_user)

    page = client.get(reverse(ADD_URL)).content.decode()

    assert "shares-TOTAL_FORMS" not in page
