"""Firing triggers: one run per slot, DST nights that agree with the preview, misfires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from plans.models import Plan, Trigger
from plans.triggers.selectors import trigger_next_fire_times
from plans.triggers.services import plan_schedule_update, trigger_set_enabled
from runs.models import PlanRun, RunSource
from scheduling.firing import fire_trigger
from scheduling.tasks import fire_trigger as fire_trigger_task
from tests.plan_fixtures import slots_of

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_same_slot_message_twice_starts_one_run(make_trigger: Callable[..., Trigger]) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=10, unit="minutes")
        clock.move_to(START + timedelta(minutes=10, seconds=1))
        fire_trigger_task.apply(args=[trigger.pk])  # the Celery task, as beat's message runs it
        fire_trigger_task.apply(args=[trigger.pk])  # a second beat, or a redelivery
    run = PlanRun.objects.get(trigger=trigger)
    assert (run.source, run.scheduled_for, run.late) == (
        RunSource.SCHEDULE,
        START + timedelta(minutes=10),
        False,
    )


def test_a_racing_duplicate_that_passed_the_handled_check_starts_nothing(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=10, unit="minutes")
        clock.move_to(START + timedelta(minutes=10, seconds=1))
        assert fire_trigger(trigger.pk).started
        # As if a second firing had read handled_until before the first committed.
        Trigger.objects.filter(pk=trigger.pk).update(handled_until=START)
        assert fire_trigger(trigger.pk).started == []
    assert PlanRun.objects.filter(trigger=trigger).count() == 1


# (zone, spring-forward night, fall-back night); Kolkata and UTC have none, any night will do.
NIGHTS = [
    ("Europe/Berlin", datetime(2026, 3, 29), datetime(2026, 10, 25)),
    ("America/New_York", datetime(2026, 3, 8), datetime(2026, 11, 1)),
    ("Australia/Sydney", datetime(2026, 10, 4), datetime(2026, 4, 5)),
    ("Asia/Kolkata", datetime(2026, 3, 29), datetime(2026, 10, 25)),
    ("UTC", datetime(2026, 3, 29), datetime(2026, 10, 25)),
]


def _fire_like_beat(trigger: Trigger, clock: Any, until: datetime, *, probes: int = 4) -> None:
    """Fire a moment after each previewed slot, as beat would, plus extra messages in between
    (a crontab firing at the 'wrong' instant around a transition must start nothing more)."""
    now = datetime.now(UTC)
    while True:
        upcoming = trigger_next_fire_times(trigger, after=now, count=1)
        if not upcoming or upcoming[0] > until:
            return
        slot = upcoming[0].astimezone(UTC)
        for offset in [timedelta(seconds=1)] + [
            timedelta(minutes=13 * k) for k in range(1, probes)
        ]:
            clock.move_to(slot + offset)
            fire_trigger(trigger.pk)
        now = slot + timedelta(minutes=13 * (probes - 1))


@pytest.mark.parametrize(("zone", "spring", "autumn"), NIGHTS, ids=[n[0] for n in NIGHTS])
@pytest.mark.parametrize("cron", ["30 2 * * *", "0 * * * *"])
def test_firing_across_dst_nights_agrees_with_the_preview(
    make_trigger: Callable[..., Trigger], zone: str, spring: datetime, autumn: datetime, cron: str
) -> None:
    tz = ZoneInfo(zone)
    for night in (spring, autumn):
        begin = night.replace(tzinfo=tz) - timedelta(days=1)
        end = night.replace(tzinfo=tz) + timedelta(days=1, hours=12)
        with time_machine.travel(begin, tick=False) as clock:
            trigger = make_trigger(name=f"{zone} {night:%m}", cron=cron, timezone_name=zone)
            preview = [
                t.astimezone(UTC) for t in trigger_next_fire_times(trigger, count=200) if t <= end
            ]
            _fire_like_beat(trigger, clock, end)
        fired = slots_of(trigger)
        assert [slot for slot, _ in fired] == preview
        assert not any(late for _, late in fired)
        # Each slot once, including the repeated hour; the gap's 02:30 becomes the transition.
        assert len(set(preview)) == len(preview)


def test_a_preview_in_the_triggers_zone_shows_the_dst_rule(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(datetime(2026, 3, 27, tzinfo=UTC), tick=False):
        trigger = make_trigger(cron="30 2 * * *", timezone_name="Europe/Berlin")
        preview = [t.isoformat() for t in trigger_next_fire_times(trigger, count=3)]
    assert preview == [
        "2026-03-27T02:30:00+01:00",
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
    ]


def test_after_beat_was_down_it_starts_one_late_catch_up_run_not_a_burst(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(cron="0 * * * *")
        clock.move_to(START + timedelta(hours=1, seconds=2))
        fire_trigger(trigger.pk)
        # Beat is down from 13:00 until 17:20: the 14:00 .. 17:00 slots pass unseen.
        clock.move_to(START + timedelta(hours=5, minutes=20))
        result = fire_trigger(trigger.pk)
        clock.move_to(START + timedelta(hours=5, minutes=20, seconds=5))
        fire_trigger(trigger.pk)  # beat's next tick: nothing new
    assert len(result.started) == 1
    assert slots_of(trigger) == [
        (START + timedelta(hours=1), False),
        (START + timedelta(hours=5), True),
    ]


def test_a_missed_slot_right_before_an_on_time_one_is_caught_up_once_and_marked_late(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=2, unit="seconds")
        # Beat stops for ten seconds: slots 2 .. 10 pass; it comes back 0.3 s after slot 12.
        clock.move_to(START + timedelta(seconds=12.3))
        fire_trigger(trigger.pk)
    assert slots_of(trigger) == [
        (START + timedelta(seconds=10), True),
        (START + timedelta(seconds=12), False),
    ]


@pytest.mark.parametrize("how", ["disabled", "paused"])
def test_slots_that_passed_while_disabled_or_paused_are_not_caught_up(
    make_trigger: Callable[..., Trigger], plan: Plan, how: str
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(cron="0 * * * *")
        if how == "disabled":
            trigger_set_enabled(trigger=trigger, enabled=False)
        else:
            plan_schedule_update(plan=plan, paused=True)
        clock.move_to(START + timedelta(hours=1, seconds=1))
        fire_trigger(trigger.pk)  # a message already on its way starts nothing
        clock.move_to(START + timedelta(hours=3, minutes=30))
        if how == "disabled":
            trigger_set_enabled(trigger=trigger, enabled=True)
        else:
            plan_schedule_update(plan=plan, paused=False)
        fire_trigger(trigger.pk)
        assert not PlanRun.objects.filter(trigger=trigger).exists()
        clock.move_to(START + timedelta(hours=4, seconds=1))
        fire_trigger(trigger.pk)
    assert slots_of(trigger) == [(START + timedelta(hours=4), False)]


def test_a_paused_plan_still_runs_by_hand(plan: Plan) -> None:
    from runs.services import run_plan

    plan_schedule_update(plan=plan, paused=True, pause_reason="Maintenance")
    assert run_plan(plan=plan, source=RunSource.MANUAL).pk


def test_a_once_trigger_fires_once_and_drops_its_periodic_task(
    make_trigger: Callable[..., Trigger],
) -> None:
    from django_celery_beat.models import PeriodicTask

    from plans.triggers.beat import sync_trigger

    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="once", run_at=START + timedelta(hours=2))
        clock.move_to(START + timedelta(hours=2, seconds=1))
        fire_trigger(trigger.pk)
        clock.move_to(START + timedelta(days=3))
        fire_trigger(trigger.pk)
        trigger.refresh_from_db()
        sync_trigger(trigger)
    assert slots_of(trigger) == [(START + timedelta(hours=2), False)]
    assert not PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()
