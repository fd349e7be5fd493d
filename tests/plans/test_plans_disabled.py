"""Plans turned off in the workspace settings: pages say so, schedules and manual runs start
nothing, and turning plans back on does not catch up what was missed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from plans.models import Plan, SlotOutcome, Trigger, TriggerSlot
from runs.models import PlanRun, RunSource, RunStatus
from runs.services import run_plan, run_retry
from scheduling.firing import fire_trigger
from workspace.features import FeatureDisabled
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLANS_OFF = "Plans are turned off in this workspace&#x27;s settings."


def plans_off() -> None:
    workspace_settings_update(plans_enabled=False)


def plans_on() -> None:
    workspace_settings_update(plans_enabled=True)


# --- pages ----------------------------------------------------------------------------------


def test_every_plan_page_answers_403_saying_plans_are_off(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger()
    run = run_plan(plan=plan, source=RunSource.MANUAL)
    plans_off()
    client.force_login(user)

    answers = [
        client.get(reverse("plans:list")),
        client.get("/"),
        client.get(reverse("plans:detail", args=[plan.pk])),
        client.post(reverse("plans:run", args=[plan.pk])),
        client.get(reverse("plans:trigger_add", args=[plan.pk])),
        client.post(reverse("plans:trigger_toggle", args=[trigger.pk])),
        client.post(reverse("plans:share", args=[plan.pk]), {"users": "x"}),
        client.get(reverse("flows:plan_parameters", args=[plan.pk])),
        client.get(reverse("runs:detail", args=[run.pk])),
        client.get(reverse("runs:jobs_fragment", args=[run.pk])),
        client.post(reverse("runs:cancel", args=[run.pk])),
        client.post(reverse("runs:retry", args=[run.pk])),
        client.get(reverse("runs:jobs")),
        client.get(reverse("runs:job", args=[run.jobs.get().pk])),
    ]

    for response in answers:
        if response.status_code == 302:  # "/" redirects to the plans list
            response = client.get(response["Location"])
        assert response.status_code == 403
        body = response.content.decode()
        assert PLANS_OFF in body and "Ask an administrator" in body
    run.refresh_from_db()
    trigger.refresh_from_db()
    assert run.status == RunStatus.QUEUED and trigger.enabled
    assert PlanRun.objects.count() == 1


def test_staff_are_pointed_to_the_workspace_settings(
    client: Any, staff_user: Any, plan: Plan
) -> None:
    plans_off()
    client.force_login(staff_user)

    body = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    assert reverse("admin:workspace_workspacesettings_changelist") in body
    # The admin stays open: staff edit plans there and turn plans back on.
    assert client.get(reverse("admin:plans_plan_change", args=[plan.pk])).status_code == 200


def test_flow_pages_stay_on(client: Any, user: Any) -> None:
    plans_off()
    client.force_login(user)

    assert client.get(reverse("flows:list")).status_code == 200


# --- runs -----------------------------------------------------------------------------------


def test_manual_runs_and_retries_are_refused(plan: Plan, user: Any) -> None:
    failed = run_plan(plan=plan, source=RunSource.MANUAL)
    PlanRun.objects.filter(pk=failed.pk).update(status=RunStatus.FAILED)
    failed.refresh_from_db()
    plans_off()

    with pytest.raises(FeatureDisabled, match="Plans are turned off"):
        run_plan(plan=plan, source=RunSource.MANUAL, requested_by=user)
    with pytest.raises(FeatureDisabled):
        run_retry(run=failed, requested_by=user)
    assert PlanRun.objects.count() == 1


def test_the_admin_run_now_is_refused_too(client: Any, staff_user: Any, plan: Plan) -> None:
    plans_off()
    client.force_login(staff_user)

    response = client.post(reverse("admin:plans_plan_run", args=[plan.pk]))

    assert response.status_code == 403 and PLANS_OFF in response.content.decode()
    assert not PlanRun.objects.exists()


# --- schedules ------------------------------------------------------------------------------


def test_a_firing_while_plans_are_off_starts_nothing_and_marks_the_slot_handled(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=10, unit="minutes")
        plans_off()
        clock.move_to(START + timedelta(minutes=10, seconds=1))

        result = fire_trigger(trigger.pk)

    trigger.refresh_from_db()
    assert (result.started, result.reason) == ([], "plans disabled")
    assert trigger.handled_until == START + timedelta(minutes=10)
    assert not PlanRun.objects.exists()


def test_turning_plans_back_on_does_not_catch_up_missed_slots(
    make_trigger: Callable[..., Trigger],
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=10, unit="minutes")
        plans_off()
        clock.move_to(START + timedelta(minutes=10, seconds=1))
        fire_trigger(trigger.pk)  # seen while off: handled, nothing started
        clock.move_to(START + timedelta(minutes=25))  # the 20-minute slot: no firing saw it
        plans_on()
        clock.move_to(START + timedelta(minutes=25, seconds=5))
        assert fire_trigger(trigger.pk).started == []  # no late catch-up of 10 or 20
        clock.move_to(START + timedelta(minutes=30, seconds=1))
        result = fire_trigger(trigger.pk)

    run = PlanRun.objects.get()
    assert result.started == [run.pk]
    assert (run.scheduled_for, run.late) == (START + timedelta(minutes=30), False)


def test_a_queued_slot_waiting_when_plans_go_off_is_skipped_not_started(
    plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    from plans.triggers.services import plan_schedule_update
    from scheduling.firing import start_queued

    plan_schedule_update(plan=plan, overlap_policy="queue")
    with time_machine.travel(START, tick=False) as clock:
        trigger = make_trigger(kind="interval", every=10, unit="minutes")
        active = run_plan(plan=plan, source=RunSource.MANUAL)
        clock.move_to(START + timedelta(minutes=10, seconds=1))
        assert fire_trigger(trigger.pk).queued
        plans_off()
        PlanRun.objects.filter(pk=active.pk).update(status=RunStatus.SUCCEEDED)

        result = start_queued(plan.pk)

    assert result.started == [] and len(result.skipped) == 1
    assert TriggerSlot.objects.get().outcome == SlotOutcome.SKIPPED
    assert PlanRun.objects.count() == 1
