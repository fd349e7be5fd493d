"""What a beat message does: `fire_trigger(trigger_id)` turns "look now" into at most one run
per slot, under the plan's pause and overlap policy.

The slot (`scheduled_for`) is the latest fire time not after now, computed in the trigger's
zone by `plans.schedules` (so the next-five preview and the firing agree, DST included).
Slots up to `trigger.handled_until` are done; a message finding its slot done starts nothing.
The database makes that final: `(trigger, scheduled_for)` is unique on runs and on slots, so a
second beat, a redelivered message or a retry racing this one fails its insert and starts
nothing (the insert runs in a savepoint, so the rest of the transaction is unharmed).

Misfires: when the slot before the current one is also unhandled (beat was down, or beat's
own drift let a slot pass between two messages), one extra run stands for the most recent
missed slot and is marked late; older missed slots are dropped, never run in a burst. A slot
older than `LATE_AFTER` at firing time is itself a catch-up, so then it is the only run.

Overlap (`plan.overlap_policy`): `allow` starts runs regardless; `skip` records a skipped
`TriggerSlot` while a run of the plan is active; `queue` records a queued slot (at most one
waits; a further one is skipped) and starts it when the active run ends (`start_queued`,
called on `runs.signals.run_finished` and at every firing, so a run ended by a cancel or the
reaper does not strand the queue).

Concurrency: the plan row is locked (`select_for_update`, PostgreSQL) while a slot is decided,
so two firings of one plan's triggers see each other's runs; the unique constraints are the
backstop where row locks do not exist (SQLite serializes writers anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, Subquery
from django.utils import timezone

from plans.models import OverlapPolicy, Plan, SlotOutcome, Trigger, TriggerSlot
from plans.schedules import ScheduleError, latest_fire_time
from plans.triggers.selectors import trigger_spec
from runs.models import ACTIVE_RUN_STATUSES, PlanRun, RunSource
from runs.services import run_plan
from workspace.selectors import get_workspace_settings

logger = logging.getLogger(__name__)

# A slot first seen this long after its time was missed by beat: its run is marked late.
LATE_AFTER = timedelta(seconds=60)
_TICK = timedelta(microseconds=1)


@dataclass
class FireResult:
    """What one firing did, for logs and tests. Times are UTC."""

    started: list[int] = field(default_factory=list)
    skipped: list[datetime] = field(default_factory=list)
    queued: list[datetime] = field(default_factory=list)
    reason: str = ""
    # The run whose first job this process executes after the commit (`run_first_job_here`).
    here: PlanRun | None = field(default=None, repr=False)


def due_slots(trigger: Trigger, *, now: datetime) -> list[tuple[datetime, bool]]:
    """The unhandled slots to act on at `now`: [(scheduled_for UTC, late)], oldest first.

    At most two: the current slot and one catch-up for the slots missed before it (see the
    module docstring). Empty when the current slot is handled or there is none.
    """
    spec = trigger_spec(trigger)
    floor = trigger.handled_until or trigger.created_at
    try:
        latest = latest_fire_time(spec, at=now)
    except ScheduleError:
        logger.warning("Trigger %s has an invalid schedule; nothing fired.", trigger.pk)
        return []
    if latest is None:
        return []
    latest = latest.astimezone(UTC)
    if floor is not None and latest <= floor:
        return []
    if now - latest > LATE_AFTER:
        return [(latest, True)]
    # UTC arithmetic: one microsecond before a fire read on the wall clock can land in the
    # other pass of a repeated hour.
    previous = latest_fire_time(spec, at=latest - _TICK)
    if previous is not None and (floor is None or previous.astimezone(UTC) > floor):
        return [(previous.astimezone(UTC), True), (latest, False)]
    return [(latest, False)]


def fire_trigger(
    trigger_id: int, *, now: datetime | None = None, run_first_job_here: bool = False
) -> FireResult:
    """Handle one beat message for trigger `trigger_id` (see the module docstring).

    Nothing happens for a deleted or disabled trigger, a paused plan, or while plans are turned
    off in the workspace settings, except that the slots it would have run count as handled (so
    they are not caught up on re-enabling).

    Runs are sent to the workers once the transaction commits. With `run_first_job_here` (the
    beat message's Celery task) and no transaction open around this call, the current slot's
    run instead has its first job executed in this process right after the commit, and the rest
    of its chain sent from here (`tasks_engine.dispatch.start_here`): one broker hop less
    between the slot and the first job. Inside an outer transaction the flag is ignored, as
    the run would not be visible to anyone before that transaction commits.
    """
    now = now or timezone.now()
    here = run_first_job_here and not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        # Lock the plan first, then read the trigger: its handled_until as of the lock.
        plan = (
            Plan.objects.select_for_update()
            .filter(pk=Subquery(Trigger.objects.filter(pk=trigger_id).values("plan_id")[:1]))
            .first()
        )
        trigger = Trigger.objects.filter(pk=trigger_id).first() if plan is not None else None
        if plan is None or trigger is None:
            return FireResult(reason="no such trigger")
        trigger.plan = plan
        result = FireResult()
        _start_queued_locked(plan, result)
        slots = due_slots(trigger, now=now)
        if not slots:
            result.reason = result.reason or "no unhandled slot"
        else:
            _mark_handled(trigger, slots[-1][0])
            stopped = _stopped_reason(plan, trigger)
            if stopped:
                result.reason = stopped
            else:
                # The current slot first: under skip or queue, the catch-up is what gives way.
                for scheduled_for, late in reversed(slots):
                    _fire_slot(plan, trigger, scheduled_for, late, result, here=here)
    if result.here is not None:
        from tasks_engine import dispatch

        dispatch.start_here(result.here)
    return result


def _stopped_reason(plan: Plan, trigger: Trigger) -> str:
    """Why scheduled runs of this trigger do not start now, or "" when they do."""
    if not get_workspace_settings().plans_enabled:
        return "plans disabled"
    if not trigger.enabled:
        return "trigger disabled"
    if plan.paused:
        return "plan paused"
    return ""


def _mark_handled(trigger: Trigger, slot: datetime) -> None:
    # Conditional, so handled_until never moves back (another firing may be further on).
    Trigger.objects.filter(
        Q(handled_until__lt=slot) | Q(handled_until__isnull=True), pk=trigger.pk
    ).update(handled_until=slot)


def _has_active_run(plan: Plan) -> bool:
    return PlanRun.objects.filter(plan=plan, status__in=ACTIVE_RUN_STATUSES).exists()


def _fire_slot(
    plan: Plan,
    trigger: Trigger,
    scheduled_for: datetime,
    late: bool,
    result: FireResult,
    *,
    here: bool = False,
) -> None:
    policy = plan.overlap_policy
    if policy != OverlapPolicy.ALLOW and _has_active_run(plan):
        waiting = TriggerSlot.objects.filter(plan=plan, outcome=SlotOutcome.QUEUED).exists()
        if policy == OverlapPolicy.QUEUE and not waiting:
            if _record_slot(trigger, scheduled_for, SlotOutcome.QUEUED):
                result.queued.append(scheduled_for)
        elif _record_slot(trigger, scheduled_for, SlotOutcome.SKIPPED):
            result.skipped.append(scheduled_for)
        return
    # Only the first run started here may run in this process (the current slot's run).
    here = here and not result.started and result.here is None
    run = _start_run(trigger, scheduled_for, late, enqueue=not here)
    if run is not None:
        result.started.append(run.pk)
        if here:
            result.here = run


def _record_slot(trigger: Trigger, scheduled_for: datetime, outcome: str) -> bool:
    try:
        with transaction.atomic():
            TriggerSlot.objects.create(
                trigger=trigger,
                plan_id=trigger.plan_id,
                scheduled_for=scheduled_for,
                outcome=outcome,
            )
    except IntegrityError:
        return False  # another firing recorded this slot first
    return True


def _start_run(
    trigger: Trigger, scheduled_for: datetime, late: bool, *, enqueue: bool = True
) -> PlanRun | None:
    # run_plan is atomic itself: a failed insert rolls back its own savepoint only, so catching
    # the IntegrityError here leaves the firing's transaction usable.
    try:
        return run_plan(
            plan=trigger.plan,
            source=RunSource.SCHEDULE,
            trigger=trigger,
            scheduled_for=scheduled_for,
            late=late,
            parameter_overrides=dict(trigger.parameter_overrides),
            enqueue=enqueue,
        )
    except IntegrityError:
        # Another beat or a redelivered message got this slot first.
        return None


def start_queued(plan_id: int) -> FireResult:
    """Start the plan's waiting queued slot if no run of the plan is active any more."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
        result = FireResult()
        if plan is not None:
            _start_queued_locked(plan, result)
        return result


def _start_queued_locked(plan: Plan, result: FireResult) -> None:
    waiting = TriggerSlot.objects.filter(plan=plan, outcome=SlotOutcome.QUEUED)
    # Every firing passes here and a slot rarely waits: a cheap check before the full read.
    if not waiting.exists() or _has_active_run(plan):
        return
    slot = waiting.select_related("trigger", "trigger__plan").order_by("scheduled_for").first()
    if slot is None:
        return
    trigger = slot.trigger
    if _stopped_reason(plan, trigger):
        # Stopped while waiting: it would be a slot from a time the schedule was off.
        TriggerSlot.objects.filter(pk=slot.pk).update(outcome=SlotOutcome.SKIPPED)
        result.skipped.append(slot.scheduled_for)
        return
    run = _start_run(trigger, slot.scheduled_for, late=False)
    # Started now, or by a duplicate start before us (the run's slot is unique): either way
    # nothing waits any more.
    TriggerSlot.objects.filter(pk=slot.pk, outcome=SlotOutcome.QUEUED).update(
        outcome=SlotOutcome.STARTED
    )
    if run is not None:
        result.started.append(run.pk)
