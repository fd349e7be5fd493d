"""Writes to triggers and to a plan's schedule settings (pause, overlap policy).

Every write validates first and saves nothing on a bad field (raising `ServiceValidationError`
with errors keyed by API field name: `name`, `kind`, `cron`, `timezone`, `every`, `unit`,
`runAt`, `startAt`, `endAt`, `parameterOverrides`, `overlapPolicy`, `pauseReason`), then keeps
the trigger's django-celery-beat `PeriodicTask` in step in the same transaction.

Datetimes (`run_at`, `start_at`, `end_at`) may be aware, or naive meaning local wall time in the
trigger's zone (a time in a spring-forward gap means the transition, one in a fall-back overlap
its first occurrence: the schedules' DST rule).

`handled_until` is moved to "now" on create, enable, unpause and schedule change: slots before
that are never caught up (they passed while the trigger could not, or should not, fire).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import FieldErrors, ServiceValidationError
from plans.models import OverlapPolicy, Plan, Trigger, TriggerKind
from plans.schedules import ScheduleSpec, validate_spec
from plans.schedules.wallclock import UnknownZoneError, get_zone, resolve_wall
from plans.triggers import beat

_UNSET: Any = object()
_SCHEDULE_FIELDS = ("kind", "cron", "every", "unit", "run_at", "timezone", "start_at", "end_at")
# validate_spec refuses a `once` time not after `now`; this `now` disables that check.
_DAWN_OF_TIME = datetime.min.replace(tzinfo=UTC)


def localize(value: datetime | None, zone_name: str) -> datetime | None:
    """`value` made aware: naive means wall time in `zone_name` (DST rule applies).

    An aware value is returned unchanged; with an unknown zone a naive value stays naive (the
    zone error is reported on its own field).
    """
    if value is None or (value.tzinfo is not None and value.utcoffset() is not None):
        return value
    try:
        zone = get_zone(zone_name)
    except UnknownZoneError:
        return value
    return resolve_wall(value.replace(tzinfo=None), zone).astimezone(zone)


def _clean(values: dict[str, Any], *, check_past: bool) -> FieldErrors:
    errors: FieldErrors = {}
    name = values["name"]
    if not isinstance(name, str) or not name.strip():
        errors.setdefault("name", []).append("This field is required.")
    elif len(name) > 200:
        errors.setdefault("name", []).append("At most 200 characters.")
    if not isinstance(values["parameter_overrides"], dict):
        errors.setdefault("parameterOverrides", []).append("Must be an object.")
    spec = ScheduleSpec(
        kind=values["kind"],
        timezone=values["timezone"],
        cron=values["cron"] or None,
        every=values["every"],
        unit=values["unit"] or None,
        run_at=values["run_at"],
        start_at=values["start_at"],
        end_at=values["end_at"],
    )
    for key, messages in validate_spec(
        spec, now=timezone.now() if check_past else _DAWN_OF_TIME
    ).items():
        errors.setdefault(key, []).extend(messages)
    return errors


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    """Fields a kind does not use are cleared, so a trigger never carries stale settings."""
    kind = values["kind"]
    values["name"] = values["name"].strip()
    values["cron"] = values["cron"].strip() if kind == TriggerKind.CRON else ""
    if kind != TriggerKind.INTERVAL:
        values["every"], values["unit"] = None, ""
    if kind != TriggerKind.ONCE:
        values["run_at"] = None
    return values


def _with_local_times(values: dict[str, Any]) -> dict[str, Any]:
    for field in ("run_at", "start_at", "end_at"):
        values[field] = localize(values[field], values["timezone"])
    return values


@transaction.atomic
def trigger_create(
    *,
    plan: Plan,
    name: str,
    kind: str,
    enabled: bool = True,
    cron: str = "",
    every: int | None = None,
    unit: str = "",
    run_at: datetime | None = None,
    timezone_name: str = "UTC",
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    parameter_overrides: dict[str, Any] | None = None,
) -> Trigger:
    """Create a trigger of `plan` and, if enabled, its periodic task. Raises ServiceValidationError."""
    values = _with_local_times(
        {
            "name": name,
            "kind": kind,
            "cron": cron or "",
            "every": every,
            "unit": unit or "",
            "run_at": run_at,
            "timezone": timezone_name,
            "start_at": start_at,
            "end_at": end_at,
            "parameter_overrides": {} if parameter_overrides is None else parameter_overrides,
        }
    )
    errors = _clean(values, check_past=True)
    if errors:
        raise ServiceValidationError(errors)
    trigger = Trigger.objects.create(plan=plan, enabled=enabled, **_normalized(values))
    # The creation instant is the interval anchor (slot 0): it counts as handled, like
    # everything before it, so the first run is one period after creation.
    Trigger.objects.filter(pk=trigger.pk).update(handled_until=trigger.created_at)
    trigger.handled_until = trigger.created_at
    beat.sync_trigger(trigger)
    return trigger


@transaction.atomic
def trigger_update(
    *,
    trigger: Trigger,
    name: str = _UNSET,
    kind: str = _UNSET,
    cron: str = _UNSET,
    every: int | None = _UNSET,
    unit: str = _UNSET,
    run_at: datetime | None = _UNSET,
    timezone_name: str = _UNSET,
    start_at: datetime | None = _UNSET,
    end_at: datetime | None = _UNSET,
    parameter_overrides: dict[str, Any] = _UNSET,
    enabled: bool = _UNSET,
) -> Trigger:
    """Change the given fields (others keep their value) and resync the periodic task.

    A changed schedule starts afresh: slots of the old schedule are not caught up. A `once`
    time in the past is refused only when the kind or the time changes (renaming a trigger
    that already ran is fine). Raises ServiceValidationError; saves nothing then.
    """
    given = {
        "name": name,
        "kind": kind,
        "cron": cron,
        "every": every,
        "unit": unit,
        "run_at": run_at,
        "timezone": timezone_name,
        "start_at": start_at,
        "end_at": end_at,
        "parameter_overrides": parameter_overrides,
    }
    values = {
        field: getattr(trigger, field) if value is _UNSET else value
        for field, value in given.items()
    }
    values["cron"] = values["cron"] or ""
    values["unit"] = values["unit"] or ""
    values = _with_local_times(values)
    errors = _clean(values, check_past=kind is not _UNSET or run_at is not _UNSET)
    if errors:
        raise ServiceValidationError(errors)
    values = _normalized(values)
    schedule_changed = any(values[f] != getattr(trigger, f) for f in _SCHEDULE_FIELDS)
    for field, value in values.items():
        setattr(trigger, field, value)
    now = timezone.now()
    if schedule_changed:
        trigger.handled_until = _later(trigger.handled_until, now)
    if enabled is not _UNSET and enabled != trigger.enabled:
        trigger.enabled = enabled
        if enabled:
            trigger.handled_until = _later(trigger.handled_until, now)
    trigger.save()
    beat.sync_trigger(trigger)
    return trigger


@transaction.atomic
def trigger_set_enabled(*, trigger: Trigger, enabled: bool) -> Trigger:
    """Switch a trigger on or off. Slots that passed while it was off are not caught up."""
    if trigger.enabled != enabled:
        trigger.enabled = enabled
        fields = ["enabled", "updated_at"]
        if enabled:
            trigger.handled_until = _later(trigger.handled_until, timezone.now())
            fields.append("handled_until")
        trigger.save(update_fields=fields)
    beat.sync_trigger(trigger)
    return trigger


@transaction.atomic
def trigger_delete(*, trigger: Trigger) -> None:
    """Delete a trigger and its periodic task; its past runs stay (with no trigger)."""
    beat.remove_periodic_tasks([trigger.periodic_task_name])
    trigger.delete()


@transaction.atomic
def plan_schedule_update(
    *,
    plan: Plan,
    paused: bool | None = None,
    pause_reason: str | None = None,
    overlap_policy: str | None = None,
) -> Plan:
    """Pause or unpause a plan (with an optional reason) and set its overlap policy.

    Unpausing moves every trigger's `handled_until` to now: slots that passed while the plan
    was paused are not caught up. Manual and API runs ignore the pause. Raises
    ServiceValidationError (`overlapPolicy`, `pauseReason`); saves nothing then.
    """
    errors: FieldErrors = {}
    if overlap_policy is not None and overlap_policy not in OverlapPolicy.values:
        errors["overlapPolicy"] = [
            f"Unknown overlap policy '{overlap_policy}'; use allow, skip or queue."
        ]
    if pause_reason is not None and len(pause_reason) > 500:
        errors["pauseReason"] = ["At most 500 characters."]
    if errors:
        raise ServiceValidationError(errors)
    fields = ["updated_at"]
    if overlap_policy is not None:
        plan.overlap_policy = overlap_policy
        fields.append("overlap_policy")
    if pause_reason is not None:
        plan.pause_reason = pause_reason
        fields.append("pause_reason")
    if paused is not None and paused != plan.paused:
        plan.paused = paused
        fields.append("paused")
        if not paused:
            triggers_skip_missed_slots(Trigger.objects.filter(plan=plan))
            if pause_reason is None:
                plan.pause_reason = ""
                fields.append("pause_reason")
    plan.save(update_fields=fields)
    audit_record(action=AuditAction.EDITED, obj=plan, fields=fields[1:])
    return plan


def triggers_skip_missed_slots(triggers: QuerySet[Trigger]) -> None:
    """Count every slot of `triggers` up to now as handled: slots that passed while the
    schedule could not fire (plan paused, plans turned off) are not caught up."""
    now = timezone.now()
    triggers.filter(Q(handled_until__lt=now) | Q(handled_until__isnull=True)).update(
        handled_until=now
    )


def plan_pause(*, plan: Plan, reason: str = "") -> Plan:
    """Stop the plan's scheduled runs (manual and API runs still work)."""
    return plan_schedule_update(plan=plan, paused=True, pause_reason=reason)


def plan_unpause(*, plan: Plan) -> Plan:
    """Resume the plan's scheduled runs from now on (missed slots are not caught up)."""
    return plan_schedule_update(plan=plan, paused=False)


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or current < candidate else current
