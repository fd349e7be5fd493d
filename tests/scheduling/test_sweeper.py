"""The sweeper fires slots beat did not (e.g. a local time that does not exist on DST night)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from plans.models import Trigger
from plans.triggers.services import plan_pause
from runs.models import PlanRun
from scheduling.sweeper import sweep

pytestmark = pytest.mark.django_db

BEFORE_DST_NIGHT = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
# 02:30 does not exist in Berlin on 2026-03-29: the slot is 03:00 CEST = 01:00 UTC.
SLOT = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


@pytest.fixture
def berlin_trigger(make_trigger: Callable[..., Trigger]) -> Trigger:
    with time_machine.travel(BEFORE_DST_NIGHT, tick=False):
        return make_trigger(cron="30 2 * * *", timezone_name="Europe/Berlin")


def test_it_fires_a_slot_beat_missed_once_the_grace_has_passed(berlin_trigger: Trigger) -> None:
    with time_machine.travel(datetime(2026, 3, 29, 1, 0, 20, tzinfo=UTC), tick=False):
        fired = sweep()

    run = PlanRun.objects.get(trigger=berlin_trigger)
    assert fired == [berlin_trigger.pk]
    assert run.scheduled_for == SLOT
    assert run.source == "schedule"
    assert run.late is False


def test_it_leaves_a_slot_to_beat_during_the_grace(berlin_trigger: Trigger) -> None:
    with time_machine.travel(datetime(2026, 3, 29, 1, 0, 5, tzinfo=UTC), tick=False):
        assert sweep() == []

    assert not PlanRun.objects.exists()


def test_a_slot_beat_already_fired_is_not_fired_again(berlin_trigger: Trigger) -> None:
    from scheduling.firing import fire_trigger

    with time_machine.travel(datetime(2026, 3, 29, 1, 0, 0, 30_000, tzinfo=UTC), tick=False):
        fire_trigger(berlin_trigger.pk)
    with time_machine.travel(datetime(2026, 3, 29, 1, 0, 30, tzinfo=UTC), tick=False):
        assert sweep() == []

    assert PlanRun.objects.filter(trigger=berlin_trigger).count() == 1


def test_it_does_not_fire_for_a_paused_plan(berlin_trigger: Trigger, plan: Any) -> None:
    plan_pause(plan=plan, reason="maintenance")

    with time_machine.travel(datetime(2026, 3, 29, 1, 0, 20, tzinfo=UTC), tick=False):
        assert sweep() == []

    assert not PlanRun.objects.exists()
