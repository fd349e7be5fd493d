"""Every page at 390 x 844 (a phone): nothing wider than the screen, navigation in a menu.

Pages are filled with long names, URLs, headers and errors, the things that push a layout
sideways; each page must keep `document.documentElement.scrollWidth <= innerWidth` (wide
pictures and tables scroll inside themselves).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from plans.services import plan_create
from plans.triggers.services import trigger_create
from runs.models import JobStatus, PlanRun, RunSource, RunStatus
from runs.services import run_plan
from tests.e2e.browsing import PHONE, browser_page_fixture, log_in  # noqa: F401 (fixture)
from tests.flows.test_parameters import make_flow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = "a-rather-long-name-without-spaces-" * 3


def filled_site(owner: Any) -> dict[str, str]:
    """Rows on every page, as long as they come; returns {page name: path}."""
    flow = make_flow(owner, "Quarterly revenue by region and product line")
    plan = plan_create(
        owner=owner,
        name=f"Nightly export of every warehouse {LONG}",
        description="Pulls " + LONG,
        tasks=[
            {"name": f"Fetch {LONG}", "ref": "fetch_items", "type": "http",
             "config": {"url": f"http://127.0.0.1:9/{LONG}?q={LONG}", "headers": {"X-Long": LONG}}},
            {"name": "Alert", "ref": "alert", "type": "http", "config": {"url": "http://127.0.0.1:9/a"},
             "runWhen": "onFailure", "upstream": ["fetch_items"]},
            {"name": "Build", "ref": "build", "type": "flow", "config": {"flow": flow.pk}},
        ],
    )  # fmt: skip
    trigger = trigger_create(plan=plan, name=f"Weekdays {LONG}", kind="cron", cron="0 6 * * 1-5", timezone_name="America/Argentina/Buenos_Aires")  # fmt: skip
    run = run_plan(plan=plan, source=RunSource.MANUAL, requested_by=owner, enqueue=False)
    now = timezone.now()
    fetch = run.jobs.get(task_ref="fetch_items")
    run.jobs.filter(pk=fetch.pk).update(
        status=JobStatus.FAILED, started_at=now - timedelta(seconds=3), finished_at=now,
        error=f"could not connect to 127.0.0.1:9: connection refused {LONG}",
        result={
            "statusCode": 503,
            "request": {"method": "GET", "url": f"http://127.0.0.1:9/{LONG}", "headers": {"X-Long": LONG}, "body": LONG * 3},
            "response": {"statusCode": 503, "reason": "Service Unavailable", "headers": {"X-Trace": LONG}, "body": LONG * 5},
        },
    )  # fmt: skip
    run.jobs.filter(task_ref="alert").update(status=JobStatus.SUCCEEDED, started_at=now, finished_at=now)  # fmt: skip
    run.jobs.filter(task_ref="build").update(status=JobStatus.SKIPPED, result={"skipReason": "x"})
    PlanRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, started_at=now - timedelta(seconds=4), finished_at=now,
        error=f"Task 'Fetch {LONG}' failed.",
    )  # fmt: skip
    for _ in range(12):
        run_plan(plan=plan, source=RunSource.API, enqueue=False)
    return {
        "plans": "/plans/",
        "plan view": f"/plans/{plan.pk}/",
        "new trigger": f"/plans/{plan.pk}/triggers/new/",
        "edit trigger": f"/plans/triggers/{trigger.pk}/edit/",
        "emails": f"/plans/{plan.pk}/emails/",
        "import": "/plans/import/",
        "plan runs": "/runs/",
        "run details": f"/runs/{run.pk}/",
        "job history": "/jobs/",
        "job details": f"/jobs/{fetch.pk}/",
        "skipped job": f"/jobs/{run.jobs.get(task_ref='build').pk}/",
        "flows": "/flows/",
        "flow": f"/flows/{flow.pk}/",
        "access tokens": "/accounts/tokens/",
        "unsubscribe": "/plans/emails/unsubscribe/not-a-token/",
        "not found": "/runs/999999/",
    }


def overflow(page: Any) -> list[int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_every_page_fits_a_phone_without_sideways_scrolling(
    live_server: Any, user: Any, browser_page: Any
) -> None:
    pages = filled_site(user)
    page = browser_page
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/accounts/login/")
    assert overflow(page)[0] <= overflow(page)[1], "login"
    assert page.locator("#site-menu").count() == 0  # no navigation before logging in
    log_in(page, live_server.url, user.username, "owner-password-1")

    too_wide = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        width, inner = overflow(page)
        if width > inner:
            too_wide[name] = (path, width)
    assert too_wide == {}, f"wider than {PHONE['width']} px: {too_wide}"


def test_the_navigation_is_a_menu_on_a_phone(
    live_server: Any, user: Any, browser_page: Any
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, user.username, "owner-password-1")

    assert not page.is_visible("#site-menu nav a[href='/runs/']")
    page.click("[data-menu-toggle]")
    assert page.get_attribute("[data-menu-toggle]", "aria-expanded") == "true"
    page.click("#site-menu nav a[href='/runs/']")
    page.wait_for_url("**/runs/")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.is_visible("#site-menu nav a[href='/jobs/']")  # a wide screen shows it all
    assert not page.is_visible("[data-menu-toggle]")
