"""Overlap policies with a real worker: the plan's first task is held by the test's HTTP peer,
so its run stays active while the next slots fire."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from plans.models import OverlapPolicy, Plan, SlotOutcome, Trigger, TriggerSlot
from plans.services import plan_create
from plans.triggers.selectors import trigger_next_fire_times
from plans.triggers.services import plan_schedule_update, trigger_create
from runs.models import PlanRun, RunStatus
from scheduling.firing import fire_trigger
from tests.helpers import wait_for_run, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held_plan(user: Any, http_peer: Any) -> Plan:
    http_peer.route("/slow", status=200, body=b"{}", hold_s=5)
    return plan_create(
        owner=user,
        name="Slow first task",
        tasks=[
            {
                "name": "Slow",
                "type": "http",
                "config": {"method": "GET", "url": http_peer.url("/slow")},
            }
        ],
    )


def _fire_at_next_slot(trigger: Trigger) -> datetime:
    """Sleep until just after the trigger's next slot, fire it as beat would; returns the slot."""
    slot = trigger_next_fire_times(trigger, count=1)[0].astimezone(UTC)
    time.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds()) + 0.05)
    fire_trigger(trigger.pk)
    return slot


def _every_two_seconds(plan: Plan, policy: str) -> Trigger:
    plan_schedule_update(plan=plan, overlap_policy=policy)
    return trigger_create(plan=plan, name="Every 2 s", kind="interval", every=2, unit="seconds")


def test_skip_records_a_skipped_slot_and_starts_nothing_while_a_run_is_active(
    celery_worker_process: Any, held_plan: Plan, http_peer: Any
) -> None:
    trigger = _every_two_seconds(held_plan, OverlapPolicy.SKIP)
    first = _fire_at_next_slot(trigger)
    wait_until(lambda: http_peer.requests, timeout=10, what="the held request")
    second = _fire_at_next_slot(trigger)

    assert list(
        PlanRun.objects.filter(trigger=trigger).values_list("scheduled_for", flat=True)
    ) == [first]
    slot = TriggerSlot.objects.get(trigger=trigger)
    assert (slot.scheduled_for, slot.outcome) == (second, SlotOutcome.SKIPPED)
    run = wait_for_run(PlanRun.objects.get(trigger=trigger).pk, timeout=20)
    assert run.status == RunStatus.SUCCEEDED


def test_queue_starts_one_waiting_slot_when_the_active_run_ends(
    celery_worker_process: Any, held_plan: Plan, http_peer: Any
) -> None:
    trigger = _every_two_seconds(held_plan, OverlapPolicy.QUEUE)
    first = _fire_at_next_slot(trigger)
    wait_until(lambda: http_peer.requests, timeout=10, what="the held request")
    queued = _fire_at_next_slot(trigger)
    skipped = _fire_at_next_slot(trigger)  # one waits already: this one gives way
    assert PlanRun.objects.filter(trigger=trigger).count() == 1

    # The worker ends the first run and, on run_finished, starts the queued slot.
    second_run = wait_until(
        lambda: PlanRun.objects.filter(trigger=trigger, scheduled_for=queued).first(),
        timeout=20,
        what="the queued slot's run",
    )
    first_run = PlanRun.objects.get(trigger=trigger, scheduled_for=first)
    assert first_run.status == RunStatus.SUCCEEDED
    assert second_run.created_at >= first_run.finished_at
    outcomes = dict(
        TriggerSlot.objects.filter(trigger=trigger).values_list("scheduled_for", "outcome")
    )
    # The queued slot started (its run is the slot's own run, found above), the other gave way.
    assert outcomes == {queued: SlotOutcome.STARTED, skipped: SlotOutcome.SKIPPED}
    wait_for_run(second_run.pk, timeout=20)
