"""Keeping one django-celery-beat `PeriodicTask` per active trigger, named
`trigger.periodic_task_name` (`plans.trigger:<id>`), calling the Celery task `scheduling.fire_trigger`
with the trigger's id.

Beat only says "look now": `scheduling.firing` works out which slot that is, so the beat
schedule needs to be on time, not exact. The mapping:
- `cron`: a crontab in the trigger's zone. When both day-of-month and day-of-week are restricted,
  cron means "either" but celery's crontab means "both", so beat fires daily at the cron's
  times and the firing drops the days that do not match.
- `interval` in seconds/minutes/hours: an IntervalSchedule of that many seconds. `last_run_at` is
  set to the latest slot, so beat's first message comes exactly one period after a slot (beat
  then counts from its own send times; see docs/decisions/schedules.md for the drift).
- `interval` in days: a daily crontab at the anchor's local time (rounded up to the minute), so
  that days keep their wall-clock time across DST; an every-N-days trigger ignores the
  in-between messages.
- `once`: a ClockedSchedule, one-off.

A trigger is active when it is enabled and, for `once`, has not fired yet. Inactive triggers
have no periodic task. Writes go through `update_or_create` by name and touch the row only when
something differs, so syncing twice changes nothing; `PeriodicTasks.update_changed()` tells a
running beat to reload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)

from plans.models import IntervalUnit, Trigger, TriggerKind
from plans.schedules import ScheduleError, latest_fire_time, parse_cron
from plans.schedules.wallclock import get_zone
from plans.triggers.selectors import trigger_spec

TASK_NAME = "scheduling.fire_trigger"
NAME_PREFIX = "plans.trigger:"
_SECONDS = {IntervalUnit.SECONDS: 1, IntervalUnit.MINUTES: 60, IntervalUnit.HOURS: 3600}
_SCHEDULE_FIELDS = ("crontab", "interval", "clocked")


@dataclass(frozen=True)
class DesiredTask:
    """What a trigger's PeriodicTask should look like (schedule rows already resolved)."""

    schedule_field: str
    schedule: CrontabSchedule | IntervalSchedule | ClockedSchedule
    one_off: bool
    start_time: datetime | None
    # Where beat should count an interval from (see `last_run_for`).
    last_run_at: datetime | None


def is_active(trigger: Trigger) -> bool:
    """Whether the trigger should have a periodic task at all."""
    if not trigger.enabled:
        return False
    if trigger.kind == TriggerKind.ONCE:
        return trigger.run_at is not None and (
            trigger.handled_until is None or trigger.handled_until < trigger.run_at
        )
    return True


def _field_text(values: Any, low: int, high: int) -> str:
    numbers = sorted(values)
    if numbers == list(range(low, high + 1)):
        return "*"
    return ",".join(str(n) for n in numbers)


def _crontab_for_cron(trigger: Trigger) -> CrontabSchedule:
    expr = parse_cron(trigger.cron)
    both_days = expr.dom_restricted and expr.dow_restricted
    fields = {
        "minute": _field_text(expr.minutes, 0, 59),
        "hour": _field_text(expr.hours, 0, 23),
        "day_of_month": "*" if both_days else _field_text(expr.days_of_month, 1, 31),
        "month_of_year": _field_text(expr.months, 1, 12),
        # parse_cron folds 7 into 0 (Sunday), which is what celery expects.
        "day_of_week": "*" if both_days else _field_text(expr.days_of_week, 0, 6),
    }
    schedule, _ = CrontabSchedule.objects.get_or_create(
        timezone=trigger.timezone, **fields, defaults={}
    )
    return schedule


def _crontab_for_days(trigger: Trigger) -> CrontabSchedule:
    anchor = trigger.start_at or trigger.created_at
    local = anchor.astimezone(get_zone(trigger.timezone))
    if local.second or local.microsecond:
        # Beat's crontab fires on the minute; a message before the slot would find nothing due.
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    schedule, _ = CrontabSchedule.objects.get_or_create(
        timezone=trigger.timezone,
        minute=str(local.minute),
        hour=str(local.hour),
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
    )
    return schedule


def last_run_for(trigger: Trigger, *, now: datetime) -> datetime | None:
    """For an interval: the latest slot not after `now`, or one period before the first slot.

    Beat fires an interval `period` after `last_run_at`, so this lines its messages up with the
    trigger's slots instead of with the moment of the sync. None for other kinds.
    """
    if trigger.kind != TriggerKind.INTERVAL or trigger.unit == IntervalUnit.DAYS:
        return None
    spec = trigger_spec(trigger)
    period = timedelta(seconds=(trigger.every or 1) * _SECONDS[IntervalUnit(trigger.unit)])
    try:
        latest = latest_fire_time(spec, at=now)
    except ScheduleError:
        return None
    if latest is not None:
        return latest.astimezone(UTC)
    anchor = spec.interval_anchor
    return anchor.astimezone(UTC) - period if anchor is not None else None


def desired_task(trigger: Trigger, *, now: datetime) -> DesiredTask | None:
    """The PeriodicTask the trigger needs, or None when it should have none."""
    if not is_active(trigger):
        return None
    if trigger.kind == TriggerKind.ONCE:
        assert trigger.run_at is not None
        clocked, _ = ClockedSchedule.objects.get_or_create(clocked_time=trigger.run_at)
        return DesiredTask("clocked", clocked, True, None, None)
    if trigger.kind == TriggerKind.INTERVAL and trigger.unit != IntervalUnit.DAYS:
        seconds = (trigger.every or 1) * _SECONDS[IntervalUnit(trigger.unit)]
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        return DesiredTask(
            "interval", interval, False, trigger.start_at, last_run_for(trigger, now=now)
        )
    if trigger.kind == TriggerKind.INTERVAL:
        return DesiredTask("crontab", _crontab_for_days(trigger), False, trigger.start_at, None)
    return DesiredTask("crontab", _crontab_for_cron(trigger), False, trigger.start_at, None)


def sync_trigger(trigger: Trigger, *, now: datetime | None = None, notify: bool = True) -> str:
    """Create, update or delete the trigger's PeriodicTask. Returns "created", "updated",
    "deleted" or "unchanged". With `notify`, tells beat when something changed."""
    now = now or timezone.now()
    desired = desired_task(trigger, now=now)
    name = trigger.periodic_task_name
    if desired is None:
        outcome = "deleted" if _delete_named([name]) else "unchanged"
    else:
        outcome = _write(trigger, name, desired)
    if notify and outcome != "unchanged":
        PeriodicTasks.update_changed()
    return outcome


def _write(trigger: Trigger, name: str, desired: DesiredTask) -> str:
    values: dict[str, Any] = {
        "task": TASK_NAME,
        "args": json.dumps([trigger.pk]),
        "kwargs": "{}",
        "enabled": True,
        "one_off": desired.one_off,
        "start_time": desired.start_time,
        "description": f"Trigger '{trigger.name}' of plan #{trigger.plan_id}",
        **{field: None for field in _SCHEDULE_FIELDS},
        desired.schedule_field: desired.schedule,
    }
    existing = PeriodicTask.objects.filter(name=name).first()
    if existing is not None and all(
        getattr(existing, f"{f}_id" if f in _SCHEDULE_FIELDS else f)
        == (v.pk if f in _SCHEDULE_FIELDS and v is not None else v)
        for f, v in values.items()
    ):
        return "unchanged"
    # A new or rescheduled task: line beat up with the slots (see `last_run_for`).
    values["last_run_at"] = desired.last_run_at
    values["total_run_count"] = 0
    _, created = PeriodicTask.objects.update_or_create(name=name, defaults=values)
    return "created" if created else "updated"


def _delete_named(names: list[str]) -> int:
    deleted, _ = PeriodicTask.objects.filter(name__in=names).delete()
    return deleted


def remove_periodic_tasks(names: list[str]) -> int:
    """Delete the named periodic tasks and tell beat; returns how many there were."""
    deleted = _delete_named(names)
    if deleted:
        PeriodicTasks.update_changed()
    return deleted


def sync_all(*, now: datetime | None = None) -> dict[str, int]:
    """Bring every trigger's periodic task in line and delete `plans.trigger:*` tasks that no
    trigger needs (deleted or inactive triggers). Idempotent; returns counts by outcome."""
    now = now or timezone.now()
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    wanted: set[str] = set()
    for trigger in Trigger.objects.select_related("plan").order_by("id"):
        counts[sync_trigger(trigger, now=now, notify=False)] += 1
        if is_active(trigger):
            wanted.add(trigger.periodic_task_name)
    strays = [
        name
        for name in PeriodicTask.objects.filter(name__startswith=NAME_PREFIX).values_list(
            "name", flat=True
        )
        if name not in wanted
    ]
    counts["deleted"] += _delete_named(strays)
    if counts["created"] or counts["updated"] or counts["deleted"]:
        PeriodicTasks.update_changed()
    return counts
