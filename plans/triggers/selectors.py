"""Reads about triggers for pages and the API: schedules, next fire times, skipped slots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from plans.models import Plan, SlotOutcome, Trigger, TriggerSlot
from plans.schedules import ScheduleError, ScheduleSpec, next_fire_times

PREVIEW_COUNT = 5


def trigger_spec(trigger: Trigger) -> ScheduleSpec:
    """The pure `ScheduleSpec` of a trigger; an interval counts from `start_at`, else creation."""
    return ScheduleSpec(
        kind=trigger.kind,
        timezone=trigger.timezone,
        cron=trigger.cron or None,
        every=trigger.every,
        unit=trigger.unit or None,
        run_at=trigger.run_at,
        start_at=trigger.start_at,
        end_at=trigger.end_at,
        anchor=trigger.created_at,
    )


def trigger_next_fire_times(
    trigger: Trigger, *, after: datetime | None = None, count: int = PREVIEW_COUNT
) -> list[datetime]:
    """The next `count` fire times after `after` (default: now), in the trigger's zone.

    Disabled triggers and paused plans still have a schedule: this is the schedule, not a
    promise (callers show the enabled state next to it). Empty for an unreadable schedule.
    """
    try:
        return next_fire_times(trigger_spec(trigger), after=after or timezone.now(), count=count)
    except ScheduleError:
        return []


def triggers_for_plan(plan: Plan) -> QuerySet[Trigger]:
    return Trigger.objects.filter(plan=plan).order_by("id")


def skipped_slots_for_plan(plan: Plan, *, limit: int = 10) -> list[TriggerSlot]:
    """The plan's most recent slots that the overlap policy skipped, newest first."""
    return list(
        TriggerSlot.objects.filter(plan=plan, outcome=SlotOutcome.SKIPPED)
        .select_related("trigger")
        .order_by("-scheduled_for")[:limit]
    )


def next_run_for_plans(
    plans: Iterable[Plan], *, now: datetime | None = None
) -> dict[int, datetime | None]:
    """{plan id: the earliest next fire time of its enabled triggers, or None}.

    None for a paused plan or one without an enabled trigger that fires again. One query for
    all the plans' triggers, whatever their number (fire times are computed, not stored).
    """
    now = now or timezone.now()
    plan_list = list(plans)
    result: dict[int, datetime | None] = {plan.pk: None for plan in plan_list}
    active_ids = [plan.pk for plan in plan_list if not plan.paused]
    for trigger in Trigger.objects.filter(plan_id__in=active_ids, enabled=True):
        upcoming = trigger_next_fire_times(trigger, after=now, count=1)
        if not upcoming:
            continue
        current = result[trigger.plan_id]
        if current is None or upcoming[0] < current:
            result[trigger.plan_id] = upcoming[0]
    return result
