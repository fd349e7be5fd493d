"""Collaborators hear of failed runs by default (seed product), and stop when they lose access."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.models import PlanEmailNotifications
from notifications.services import plan_notifications_get, plan_notifications_update
from plans.services import plan_create, plan_unshare

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(user: Any) -> Any:
    return plan_create(
        owner=user,
        name="Shared",
        tasks=[{"name": "a", "type": "http", "config": {"url": "https://example.com/"}}],
    )


def test_a_new_collaborator_joins_the_failure_list_once(
    plan: Any, share: Any, other_user: Any, django_user_model: Any
) -> None:
    no_mail = django_user_model.objects.create_user("nomail", "", "pw-nomail-1")

    share(plan, other_user)
    share(plan, other_user, "editor")  # a role change adds nothing
    share(plan, no_mail)

    row = plan_notifications_get(plan)
    assert row.on_failure == ["outsider@example.com"]
    assert row.enabled is False  # nothing is mailed until the plan's notifications are on


def test_someone_already_hearing_of_failures_is_not_added_again(
    plan: Any, share: Any, other_user: Any
) -> None:
    plan_notifications_update(plan=plan, enabled=True, on_any=["Outsider@Example.com"])

    share(plan, other_user)

    row = plan_notifications_get(plan)
    assert (row.on_failure, row.on_any, row.enabled) == ([], ["Outsider@Example.com"], True)


def test_losing_access_takes_the_address_off_every_list(
    plan: Any, share: Any, other_user: Any
) -> None:
    share(plan, other_user)
    row = plan_notifications_get(plan)
    plan_notifications_update(
        plan=plan,
        enabled=True,
        on_success=["outsider@example.com", "boss@example.com"],
        on_failure=row.on_failure,
    )

    assert plan_unshare(plan=plan, user_id=other_user.pk)

    row = PlanEmailNotifications.objects.get(plan=plan)
    assert (row.on_success, row.on_failure) == (["boss@example.com"], [])
