"""The trigger form on Plan View's pages: fields of the chosen kind, zone list, pickers; a
disabled trigger says so instead of listing fire times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from plans.models import Plan, Trigger

pytestmark = pytest.mark.django_db


def fields_shown(page: str) -> set[str]:
    """Names of the form's field paragraphs that are not hidden."""
    import re

    return {
        match.group(1)
        for match in re.finditer(r'<p class="field[^"]*" id="field-(\w+)"([^>]*)>', page)
        if " hidden" not in match.group(2)
    }


def test_a_new_trigger_shows_only_the_cron_fields_and_lists_the_zones(
    client: Any, user: Any, plan: Plan
) -> None:
    client.force_login(user)

    page = client.get(reverse("plans:trigger_add", args=[plan.pk])).content.decode()

    assert fields_shown(page) == {
        "name",
        "enabled",
        "kind",
        "cron",
        "timezone",
        "start_at",
        "end_at",
    }
    assert 'data-kinds="once"' in page  # run_at: there, hidden, shown by the script
    assert 'list="iana-zones"' in page
    assert '<option value="Europe/Paris">' in page and '<option value="America/New_York">' in page
    assert 'type="datetime-local"' in page
    assert 'Start at <span class="zone">(in <span data-zone-echo>UTC</span>)</span>' in page
    assert "<script>" not in page


def test_an_interval_trigger_shows_its_own_fields_and_its_zone(
    client: Any, user: Any, make_trigger: Callable[..., Trigger]
) -> None:
    trigger = make_trigger(kind="interval", every=2, unit="hours", timezone_name="Asia/Tokyo")
    client.force_login(user)

    page = client.get(reverse("plans:trigger_edit", args=[trigger.pk])).content.decode()

    assert fields_shown(page) == {"name", "enabled", "kind", "every", "unit", "timezone", "start_at", "end_at"}  # fmt: skip
    assert "<span data-zone-echo>Asia/Tokyo</span>" in page


def test_a_once_trigger_is_set_with_the_picker_in_its_zone(
    client: Any, user: Any, plan: Plan
) -> None:
    client.force_login(user)

    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        response = client.post(
            reverse("plans:trigger_add", args=[plan.pk]),
            {"name": "Once", "enabled": "on", "kind": "once", "timezone": "Europe/Paris",
             "run_at": "2026-03-10T09:30"},
        )  # fmt: skip
        page = client.get(
            reverse("plans:trigger_edit", args=[Trigger.objects.get().pk])
        ).content.decode()

    assert response.status_code == 302
    assert Trigger.objects.get().run_at == datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    assert 'value="2026-03-10T09:30"' in page  # shown again as wall time in Paris
    assert fields_shown(page) == {"name", "enabled", "kind", "run_at", "timezone"}


def test_a_posted_kind_with_errors_keeps_showing_that_kinds_fields(
    client: Any, user: Any, plan: Plan
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("plans:trigger_add", args=[plan.pk]),
        {"name": "Bad", "kind": "interval", "timezone": "UTC", "unit": "hours"},
    )

    page = response.content.decode()
    assert response.status_code == 200 and 'id="error-every"' in page
    assert "every" in fields_shown(page) and "cron" not in fields_shown(page)


def test_a_disabled_trigger_says_disabled_instead_of_listing_fire_times(
    client: Any, user: Any, plan: Plan, make_trigger: Callable[..., Trigger]
) -> None:
    make_trigger(name="On", cron="0 6 * * *")
    make_trigger(name="Off", cron="0 7 * * *", enabled=False)
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    off = page[page.index("<strong>Off</strong>") :]
    assert 'data-trigger-state="disabled">Disabled: this trigger starts no runs' in off
    assert "Next fire times" not in off
    assert page.count("Next fire times") == 1  # only the enabled trigger's
    assert page.count('data-confirm="Delete this trigger?"') == 2
