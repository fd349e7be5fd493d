"""In a real browser: log into the admin, press Run now, watch run details update in place;
share a plan, download its package and import it as the collaborator.

Debian's chromium drives the pages served by pytest-django's live server; a real Celery worker
executes the run against a local HTTP peer that holds its answer, so the page is showing an
active run when it loads and has to refresh itself (htmx) to show the run succeed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from plans.models import Plan
from plans.services import plan_create
from runs.models import PlanRun, RunStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A chromium page; skips when chromium or playwright is not installed."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            # While Playwright's loop runs, Django sees another async context and opens other
            # connections for the ORM calls made here: close them, or the test database
            # cannot be dropped at the end of the session.
            connections.close_all()
            browser.close()


def test_it_runs_a_plan_from_the_admin_and_watches_it_succeed_without_reloading(
    live_server: Any,
    staff_user: Any,
    http_peer: Any,
    celery_worker_process: Any,
    browser_page: Any,
) -> None:
    http_peer.route("/first", status=200, body=b'{"ok": true}', hold_s=1.5)
    http_peer.route("/second", status=201, body=b"created", hold_s=0.5)
    plan = plan_create(
        owner=staff_user,
        name="Browser plan",
        tasks=[
            {"name": "First call", "type": "http", "config": {"url": http_peer.url("/first")}},
            {
                "name": "Second call",
                "type": "http",
                "config": {"method": "POST", "url": http_peer.url("/second"), "body": "{}"},
            },
        ],
    )
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/plans/plan/{plan.pk}/change/")
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "admin-password-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/plans/plan/{plan.pk}/change/")
    page.click("#admin-run-now")
    page.wait_for_url("**/runs/*/")

    run = PlanRun.objects.get(plan=plan)
    assert page.url == f"{live_server.url}/runs/{run.pk}/"
    first_status = page.get_attribute("#run-live", "data-run-status")
    assert first_status in {"queued", "running"}, "the run ended before the page could poll"
    # Survives only if the document is never reloaded or navigated away from.
    page.evaluate("window.__sameDocument = 'yes'")
    try:
        page.wait_for_selector('#run-live[data-run-status="succeeded"]', timeout=30_000)
    except Exception as error:
        raise AssertionError(
            f"run never showed succeeded:\n{celery_worker_process.log()[-3000:]}"
        ) from error

    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.locator('tr[data-job-status="succeeded"]').count() == 2
    assert page.locator("#run-live").get_attribute("hx-trigger") is None
    assert "201" in page.inner_text("#run-live")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert [r.path for r in http_peer.requests] == ["/first", "/second"]


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/plans/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/plans/")


def test_an_owner_shares_and_exports_a_plan_and_the_viewer_imports_a_copy(
    live_server: Any, user: Any, other_user: Any, browser_page: Any, tmp_path: Any
) -> None:
    plan = plan_create(
        owner=user,
        name="Nightly export",
        tasks=[{"name": "Ping", "type": "http", "config": {"url": "https://example.com/ping"}}],
    )
    page = browser_page

    # The owner shares it with a viewer and downloads its package.
    log_in(page, live_server.url, user.username, "owner-password-1")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.fill("#share-users", other_user.email)
    page.select_option("#share-role", "viewer")
    page.click("#share-button")
    page.wait_for_selector("#collaborators")
    assert other_user.username in page.inner_text("#collaborators")
    with page.expect_download() as download_info:
        page.click("#export-plan")
    package = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(package)
    assert package.name.endswith(".zip")
    page.context.clear_cookies()

    # The viewer sees it as shared, without the owner's controls, and imports the package.
    log_in(page, live_server.url, other_user.username, "outsider-password-1")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    assert "Shared with you (viewer)" in page.inner_text("#your-role")
    assert page.locator("#share-users").count() == 0
    page.goto(f"{live_server.url}/plans/")
    page.set_input_files("#import-file", str(package))
    page.click("#import-plan button[type=submit]")
    page.wait_for_url(lambda url: url.rstrip("/") != f"{live_server.url}/plans")

    copy = Plan.objects.exclude(pk=plan.pk).get()
    assert page.url == f"{live_server.url}/plans/{copy.pk}/"
    assert (copy.owner, copy.name) == (other_user, "Nightly export")
    assert list(copy.tasks.values_list("name", "config__url")) == [
        ("Ping", "https://example.com/ping")
    ]
