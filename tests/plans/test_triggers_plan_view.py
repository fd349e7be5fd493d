"""Adding, editing and deleting triggers on Plan View (same rules as the admin inline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from plans.models import Plan, Trigger

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Weekdays",
        "enabled": "on",
        "kind": "cron",
        "cron": "0 6 * * 1-5",
        "timezone": "Europe/Paris",
    }
    data.update(overrides)
    return data


def test_the_owner_adds_a_trigger_and_it_is_scheduled(client: Any, user: Any, plan: Plan) -> None:
    client.force_login(user)

    response = client.post(reverse("plans:trigger_add", args=[plan.pk]), form_data())

    trigger = Trigger.objects.get(plan=plan)
    assert response.status_code == 302
    assert trigger.cron == "0 6 * * 1-5" and trigger.timezone == "Europe/Paris"
    assert PeriodicTask.objects.filter(name=trigger.periodic_task_name, enabled=True).exists()
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "At 06:00, Monday through Friday (Europe/Paris)" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("cron", "61 * * * *"), ("cron", "* * *"), ("timezone", "Mars/Base")],
)
def test_bad_input_is_an_error_on_the_field_and_saves_nothing(
    client: Any, user: Any, plan: Plan, field: str, value: str
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("plans:trigger_add", args=[plan.pk]), form_data(**{field: value})
    )

    assert response.status_code == 200
    assert f'id="error-{field}"' in response.content.decode()
    assert not Trigger.objects.exists()


def test_the_owner_edits_and_deletes_a_trigger(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger(name="Morning", cron="0 6 * * *")
    client.force_login(user)

    client.post(
        reverse("plans:trigger_edit", args=[trigger.pk]),
        form_data(name="Evening", cron="0 18 * * *"),
    )
    trigger.refresh_from_db()
    assert (trigger.name, trigger.cron) == ("Evening", "0 18 * * *")

    client.post(reverse("plans:trigger_delete", args=[trigger.pk]))
    assert not Trigger.objects.filter(pk=trigger.pk).exists()
    assert not PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()


def test_an_outsider_can_neither_see_nor_change_the_triggers(
    client: Any, other_user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger()
    client.force_login(other_user)

    assert client.get(reverse("plans:trigger_add", args=[plan.pk])).status_code == 404
    assert client.get(reverse("plans:trigger_edit", args=[trigger.pk])).status_code == 404
    assert client.post(reverse("plans:trigger_delete", args=[trigger.pk])).status_code == 404
    assert Trigger.objects.filter(pk=trigger.pk).exists()
