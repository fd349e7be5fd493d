"""Trigger services: validation that saves nothing, normalisation, and the beat sync."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.errors import ServiceValidationError
from plans.models import Plan, Trigger
from plans.services import plan_delete
from plans.triggers.beat import sync_all
from plans.triggers.services import (
    plan_schedule_update,
    trigger_create,
    trigger_delete,
    trigger_set_enabled,
    trigger_update,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def TRIGGER_TASKS() -> Any:
    return PeriodicTask.objects.filter(name__startswith="plans.trigger:").order_by("name")


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "cron", "cron": "61 * * * *"}, "cron", "61"),
        ({"kind": "cron", "cron": "* * *"}, "cron", "5 fields"),
        (
            {"kind": "cron", "cron": "0 6 * * *", "timezone_name": "Mars/Olympus"},
            "timezone",
            "Unknown time zone",
        ),
        ({"kind": "interval", "every": 0, "unit": "seconds"}, "every", "1 or more"),
        ({"kind": "interval", "every": -5, "unit": "minutes"}, "every", "1 or more"),
        ({"kind": "once", "run_at": NOW - timedelta(minutes=1)}, "runAt", "in the past"),
        (
            {
                "kind": "cron",
                "cron": "0 6 * * *",
                "start_at": NOW + timedelta(days=2),
                "end_at": NOW + timedelta(days=1),
            },
            "endAt",
            "before the start",
        ),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_saves_nothing(
    plan: Plan, fields: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        trigger_create(plan=plan, name="Bad", **fields)
    assert field in caught.value.errors
    assert words.lower() in " ".join(caught.value.errors[field]).lower()
    assert not Trigger.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="plans.trigger:").exists()


def test_it_reads_naive_times_as_local_time_in_the_triggers_zone(plan: Plan) -> None:
    trigger = trigger_create(
        plan=plan,
        name="Once",
        kind="once",
        run_at=datetime(2026, 3, 29, 2, 30),  # inside Berlin's spring-forward gap
        timezone_name="Europe/Berlin",
    )
    assert trigger.run_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_it_clears_the_fields_a_kind_does_not_use(plan: Plan) -> None:
    trigger = trigger_create(plan=plan, name="Every 2 s", kind="interval", every=2, unit="seconds")
    trigger = trigger_update(trigger=trigger, kind="cron", cron="0 6 * * 1-5")
    assert (trigger.every, trigger.unit, trigger.run_at) == (None, "", None)
    assert trigger.cron == "0 6 * * 1-5"


def test_it_syncs_a_cron_trigger_to_a_crontab_in_its_zone(plan: Plan) -> None:
    trigger = trigger_create(
        plan=plan, name="Weekdays", kind="cron", cron="0 6 * * 1-5", timezone_name="Europe/Paris"
    )
    task = PeriodicTask.objects.get(name=f"plans.trigger:{trigger.pk}")
    assert task.task == "scheduling.fire_trigger"
    assert json.loads(task.args) == [trigger.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "0",
        "6",
        "1,2,3,4,5",
    )
    assert str(task.crontab.timezone) == "Europe/Paris"
    assert task.interval is None and task.enabled


def test_it_syncs_an_interval_lined_up_with_its_slots(plan: Plan, frozen: Any) -> None:
    trigger = trigger_create(
        plan=plan, name="Every 90 s", kind="interval", every=90, unit="seconds"
    )
    frozen.move_to(NOW + timedelta(seconds=200))
    trigger_update(trigger=trigger, every=2, unit="minutes")
    task = PeriodicTask.objects.get(name=trigger.periodic_task_name)
    assert task.interval.every == 120 and task.interval.period == "seconds"
    # The latest slot of "every 2 minutes from creation", so beat fires on the next one.
    assert task.last_run_at == NOW + timedelta(seconds=120)


def test_it_syncs_a_once_trigger_to_a_one_off_clocked_task(plan: Plan) -> None:
    run_at = NOW + timedelta(hours=3)
    trigger = trigger_create(plan=plan, name="Once", kind="once", run_at=run_at)
    task = PeriodicTask.objects.get(name=trigger.periodic_task_name)
    assert task.one_off and task.clocked.clocked_time == run_at


def test_it_removes_the_periodic_task_of_a_disabled_trigger_and_restores_it(plan: Plan) -> None:
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    trigger_set_enabled(trigger=trigger, enabled=False)
    assert not PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()
    trigger_set_enabled(trigger=trigger, enabled=True)
    assert PeriodicTask.objects.filter(name=trigger.periodic_task_name, enabled=True).exists()


def test_it_deletes_the_periodic_task_with_the_trigger_and_with_the_plan(plan: Plan) -> None:
    first = trigger_create(plan=plan, name="A", kind="cron", cron="0 6 * * *")
    second = trigger_create(plan=plan, name="B", kind="cron", cron="0 7 * * *")
    trigger_delete(trigger=first)
    assert list(TRIGGER_TASKS().values_list("name", flat=True)) == [second.periodic_task_name]
    plan_delete(plan=plan)
    assert not PeriodicTask.objects.filter(name__startswith="plans.trigger:").exists()


def test_sync_triggers_repairs_drift_and_is_idempotent(plan: Plan) -> None:
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    kept = trigger_create(plan=plan, name="Kept", kind="interval", every=5, unit="minutes")
    PeriodicTask.objects.filter(name=trigger.periodic_task_name).delete()
    PeriodicTask.objects.filter(name=kept.periodic_task_name).update(enabled=False)
    stray = PeriodicTask.objects.create(
        name="plans.trigger:99999",
        task="scheduling.fire_trigger",
        interval=PeriodicTask.objects.get(name=kept.periodic_task_name).interval,
    )
    Trigger.objects.filter(pk=kept.pk).update(enabled=False)  # disabled behind the service's back

    call_command("sync_triggers", stdout=open("/dev/null", "w"))  # noqa: SIM115
    names = set(TRIGGER_TASKS().values_list("name", flat=True))
    assert names == {trigger.periodic_task_name}
    assert stray.name not in names
    before = list(TRIGGER_TASKS().values_list("name", "date_changed"))

    assert sync_all() == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 2}
    assert list(TRIGGER_TASKS().values_list("name", "date_changed")) == before


def test_it_unpauses_without_catching_up_and_refuses_an_unknown_policy(
    plan: Plan, frozen: Any
) -> None:
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    plan_schedule_update(plan=plan, paused=True, pause_reason="Warehouse migration")
    frozen.move_to(NOW + timedelta(days=3))
    plan_schedule_update(plan=plan, paused=False)
    trigger.refresh_from_db()
    plan.refresh_from_db()
    assert trigger.handled_until == NOW + timedelta(days=3)
    assert (plan.paused, plan.pause_reason) == (False, "")
    with pytest.raises(ServiceValidationError) as caught:
        plan_schedule_update(plan=plan, overlap_policy="sometimes")
    assert "overlapPolicy" in caught.value.errors


def test_it_times_a_day_interval_on_the_anchors_local_minute(plan: Plan) -> None:
    trigger = trigger_create(
        plan=plan,
        name="Daily at 04:30:20",
        kind="interval",
        every=1,
        unit="days",
        start_at=datetime(2026, 3, 2, 4, 30, 20, tzinfo=ZoneInfo("Europe/Berlin")),
        timezone_name="Europe/Berlin",
    )
    crontab = PeriodicTask.objects.get(name=trigger.periodic_task_name).crontab
    assert (crontab.hour, crontab.minute, str(crontab.timezone)) == ("4", "31", "Europe/Berlin")
