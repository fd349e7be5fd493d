"""The admin's trigger inline: validated by validate_spec, saved through the trigger services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from plans.models import Plan, Trigger
from tests.plans.test_admin import form_data, task_fields

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin_client(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


def trigger_data(triggers: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "triggers-TOTAL_FORMS": str(len(triggers)),
        "triggers-INITIAL_FORMS": str(initial),
        "triggers-MIN_NUM_FORMS": "0",
        "triggers-MAX_NUM_FORMS": "1000",
    }
    for index, trigger in enumerate(triggers):
        fields = {
            "name": "Nightly",
            "enabled": "on",
            "kind": "cron",
            "cron": "30 2 * * *",
            "every": "",
            "unit": "",
            "timezone": "Europe/Berlin",
            "run_at_0": "",
            "run_at_1": "",
            "start_at_0": "",
            "start_at_1": "",
            "end_at_0": "",
            "end_at_1": "",
            **trigger,
        }
        for key, value in fields.items():
            if value is not None:
                data[f"triggers-{index}-{key}"] = value
    return data


def test_it_adds_a_trigger_with_the_plan_and_syncs_it_to_beat(
    admin_client: Any, staff_user: Any
) -> None:
    data = {**form_data([task_fields()], owner=staff_user), **trigger_data([{}])}
    response = admin_client.post(reverse("admin:plans_plan_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    trigger = Trigger.objects.get()
    assert (trigger.cron, trigger.timezone, trigger.plan.name) == (
        "30 2 * * *",
        "Europe/Berlin",
        "Nightly export",
    )
    assert PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()
    page = admin_client.get(reverse("admin:plans_plan_change", args=[trigger.plan_id]))
    assert "At 02:30, every day (Europe/Berlin)" in page.content.decode()


def test_a_once_time_is_read_in_the_triggers_zone(admin_client: Any, staff_user: Any) -> None:
    once = {
        "kind": "once",
        "cron": "",
        "timezone": "America/New_York",
        "run_at_0": "2026-04-01",
        "run_at_1": "09:15:00",
    }
    data = {**form_data([task_fields()], owner=staff_user), **trigger_data([once])}
    response = admin_client.post(reverse("admin:plans_plan_add"), data)
    assert response.status_code == 302
    assert Trigger.objects.get().run_at == datetime(2026, 4, 1, 13, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "* * *"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "interval", "cron": "", "every": "0", "unit": "seconds"}, "every"),
        ({"kind": "once", "cron": "", "run_at_0": "2026-03-27", "run_at_1": "10:00:00"}, "run_at"),
        (
            {
                "start_at_0": "2026-05-01",
                "start_at_1": "00:00:00",
                "end_at_0": "2026-04-01",
                "end_at_1": "00:00:00",
            },
            "end_at",
        ),
    ],
)
def test_bad_trigger_input_shows_an_error_on_the_field_and_saves_nothing(
    admin_client: Any, staff_user: Any, fields: dict[str, Any], field: str
) -> None:
    data = {**form_data([task_fields()], owner=staff_user), **trigger_data([fields])}
    response = admin_client.post(reverse("admin:plans_plan_add"), data)
    assert response.status_code == 200
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "triggers"
    )
    assert field in formset.forms[0].errors
    assert not Plan.objects.exists()
    assert not Trigger.objects.exists()


def test_it_edits_and_deletes_a_trigger_through_the_services(
    admin_client: Any, staff_user: Any
) -> None:
    data = {**form_data([task_fields()], owner=staff_user), **trigger_data([{}])}
    admin_client.post(reverse("admin:plans_plan_add"), data)
    trigger = Trigger.objects.get()
    plan = trigger.plan
    task = plan.tasks.get()
    url = reverse("admin:plans_plan_change", args=[plan.pk])
    base = form_data([task_fields(id=task.pk, plan=plan.pk)], owner=staff_user, initial=1)

    edit = trigger_data([{"id": trigger.pk, "plan": plan.pk, "enabled": None}], initial=1)
    assert admin_client.post(url, {**base, **edit}).status_code == 302
    trigger.refresh_from_db()
    assert not trigger.enabled
    assert not PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()

    delete = trigger_data([{"id": trigger.pk, "plan": plan.pk, "DELETE": "on"}], initial=1)
    assert admin_client.post(url, {**base, **delete}).status_code == 302
    assert not Trigger.objects.exists()
