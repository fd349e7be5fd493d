"""Plan View's schedule section, the enable/disable toggle, and the plans list's next run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from plans.models import Plan, SlotOutcome, Trigger, TriggerSlot
from plans.triggers.selectors import next_run_for_plans
from plans.triggers.services import plan_schedule_update

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_plan_view_shows_each_trigger_in_words_with_five_times_in_its_zone_and_utc(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger(name="Berlin nights", cron="30 2 * * *", timezone_name="Europe/Berlin")
    TriggerSlot.objects.create(
        trigger=trigger,
        plan=plan,
        scheduled_for=NOW - timedelta(days=1),
        outcome=SlotOutcome.SKIPPED,
    )
    client.force_login(user)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "At 02:30, every day (Europe/Berlin)" in page
    assert "Sun 2026-03-29 03:00:00 CEST" in page  # the DST rule: 02:30 does not exist that night
    assert "2026-03-29 01:00:00 UTC" in page
    assert page.count("CEST</time>") + page.count("CET</time>") == 5
    assert "Recently skipped slots" in page and "2026-03-26 12:00:00 UTC" in page


def test_the_toggle_disables_and_enables_a_trigger(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger()
    client.force_login(user)
    url = reverse("plans:trigger_toggle", args=[trigger.pk])
    assert client.post(url).status_code == 302
    trigger.refresh_from_db()
    assert not trigger.enabled
    client.post(url)
    trigger.refresh_from_db()
    assert trigger.enabled


def test_an_outsider_cannot_toggle_someone_elses_trigger(
    client: Any, other_user: Any, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger()
    client.force_login(other_user)
    assert client.post(reverse("plans:trigger_toggle", args=[trigger.pk])).status_code == 404
    trigger.refresh_from_db()
    assert trigger.enabled


def test_next_run_for_plans_takes_the_earliest_enabled_trigger_and_ignores_paused_plans(
    user: Any, plan: Plan, make_trigger: Callable[..., Trigger], django_assert_num_queries: Any
) -> None:
    make_trigger(cron="0 18 * * *")
    make_trigger(cron="0 13 * * *")
    make_trigger(cron="0 12 * * *", enabled=False)
    with django_assert_num_queries(1):
        assert next_run_for_plans([plan]) == {plan.pk: datetime(2026, 3, 27, 13, 0, tzinfo=UTC)}
    plan_schedule_update(plan=plan, paused=True)
    assert next_run_for_plans([plan]) == {plan.pk: None}


def test_the_plans_list_shows_the_next_run(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    make_trigger(cron="0 13 * * *")
    client.force_login(user)
    page = client.get(reverse("plans:list")).content.decode()
    assert "Next run" in page and "in 1\xa0hour" in page
