"""`{% load trigger_tags %}`: what Plan View shows about a plan's triggers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django import template

from plans.models import Plan, Trigger, TriggerSlot
from plans.schedules import describe
from plans.triggers.selectors import (
    next_run_for_plans,
    skipped_slots_for_plan,
    trigger_next_fire_times,
    trigger_spec,
    triggers_for_plan,
)

register = template.Library()


@dataclass
class TriggerRow:
    trigger: Trigger
    in_words: str
    # (in the trigger's zone, in UTC)
    next_times: list[tuple[datetime, datetime]]


@register.simple_tag
def trigger_rows(plan: Plan) -> list[TriggerRow]:
    """Each trigger of the plan in words with its next five fire times (none when disabled)."""
    return [
        TriggerRow(
            trigger=trigger,
            in_words=describe(trigger_spec(trigger)),
            # A disabled trigger fires never: the page says "disabled" instead of times.
            next_times=[(t, t.astimezone(UTC)) for t in trigger_next_fire_times(trigger)]
            if trigger.enabled
            else [],
        )
        for trigger in triggers_for_plan(plan)
    ]


@register.simple_tag
def skipped_slots(plan: Plan) -> list[TriggerSlot]:
    """The plan's ten most recent slots skipped by its overlap policy."""
    return skipped_slots_for_plan(plan, limit=10)


@register.simple_tag
def next_runs(plans: list[Plan]) -> dict[int, datetime | None]:
    """{plan id: next scheduled run or None} for a page of plans, in one query."""
    return next_run_for_plans(plans)


@register.filter
def for_plan(next_by_plan: dict[int, datetime | None], plan_id: int) -> datetime | None:
    return next_by_plan.get(plan_id)
