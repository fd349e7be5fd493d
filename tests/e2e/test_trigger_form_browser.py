"""In a real browser: the trigger form shows the chosen kind's fields, names the zone that
times are read in, and a disabled trigger says so on Plan View."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Trigger
from plans.services import plan_create
from tests.e2e.browsing import browser_page_fixture, log_in  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def visible_fields(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all(
            "#trigger-form p.field", "ps => ps.filter(p => !p.hidden).map(p => p.id.slice(6))"
        )
    )


def test_an_editor_adds_an_interval_trigger_with_a_zone_and_a_start_time(
    live_server: Any, user: Any, editor: Any, share: Any, browser_page: Any
) -> None:
    plan = plan_create(
        owner=user,
        name="Hourly sync",
        tasks=[{"name": "Ping", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}],
    )
    share(plan, editor, "editor")
    page = browser_page
    log_in(page, live_server.url, editor.username, "editor-password-1")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.click("#add-trigger")

    assert visible_fields(page) == {"name", "enabled", "kind", "cron", "timezone", "start_at", "end_at"}  # fmt: skip
    page.select_option("#id_kind", "once")
    assert visible_fields(page) == {"name", "enabled", "kind", "run_at", "timezone"}
    page.select_option("#id_kind", "interval")
    assert {"every", "unit"} <= visible_fields(page) and "run_at" not in visible_fields(page)
    page.fill("#id_name", "Every two hours")
    page.fill("#id_every", "2")
    page.select_option("#id_unit", "hours")
    page.fill("#id_timezone", "Europe/Paris")
    assert page.inner_text("#field-start_at .zone") == "(in Europe/Paris)"
    assert page.locator("#iana-zones option[value='Europe/Paris']").count() == 1
    page.fill("#id_start_at", "2030-01-15T08:00")
    page.click("#trigger-form button[type=submit]")
    page.wait_for_url(f"**/plans/{plan.pk}/#triggers")

    trigger = Trigger.objects.get(plan=plan)
    assert (trigger.kind, trigger.every, trigger.unit, trigger.timezone) == ("interval", 2, "hours", "Europe/Paris")  # fmt: skip
    assert trigger.start_at.isoformat() == "2030-01-15T07:00:00+00:00"
    item = page.locator(f"#trigger-{trigger.pk}")
    assert "Next fire times (Europe/Paris)" in item.text_content()
    item.locator("button", has_text="Disable").click()
    page.wait_for_url(f"**/plans/{plan.pk}/#triggers")
    item = page.locator(f"#trigger-{trigger.pk}")
    assert "Disabled: this trigger starts no runs" in item.inner_text()
    assert "Next fire times" not in item.text_content()
