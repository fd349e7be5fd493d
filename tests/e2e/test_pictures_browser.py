"""In a real browser, with a real worker: a plan's graph and run history, a run's graph and
timeline turning green without a reload, a skipped job saying why, the run found on /runs/,
retried and run again, and Cancel run asking first.

Each picture is saved under tests/e2e/screenshots/; the assertions read what the pictures
contain (nodes, edge labels, statuses, bars, cells).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plans.services import plan_create
from runs.models import PlanRun, RunSource, RunStatus
from tests.e2e.browsing import browser_page_fixture, log_in, screenshot  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WHY = "skipped: fetch_items succeeded, this runs on failure"


def branching_plan(owner: Any, peer: Any) -> Any:
    def http(name: str, ref: str, **rule: Any) -> dict[str, Any]:
        return {
            "name": name,
            "ref": ref,
            "type": "http",
            "config": {"url": peer.url(f"/{ref}")},
            **rule,
        }

    return plan_create(
        owner=owner,
        name="Nightly sales",
        tasks=[
            http("Fetch items", "fetch_items"),
            http("Load warehouse", "load"),
            http("Alert on failure", "alert", runWhen="onFailure", upstream=["fetch_items"]),
            http("Clean up", "cleanup", runWhen="always", upstream=["load", "alert"]),
        ],
    )


def node_statuses(page: Any, graph: str) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"{graph} g.node",
        "nodes => Object.fromEntries(nodes.map(n => [n.dataset.ref, n.dataset.status]))",
    )


def texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent.trim())")


def test_plan_and_run_pictures_show_the_graph_statuses_timeline_and_history(
    live_server: Any, user: Any, http_peer: Any, celery_worker_process: Any, browser_page: Any
) -> None:
    http_peer.route("/fetch_items", status=200, body=b"{}", hold_s=1.5, times=1)
    http_peer.route("/fetch_items", status=500, body=b"down")
    http_peer.route("/load", status=200, body=b"{}", hold_s=0.8)
    http_peer.route("/alert", status=200, body=b"{}")
    http_peer.route("/cleanup", status=204)
    plan = branching_plan(user, http_peer)
    page = browser_page
    log_in(page, live_server.url, user.username, "owner-password-1")

    # Plan View: one node per task, edges labelled by condition.
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    graph = page.locator("#plan-graph svg.graph")
    assert graph.locator("g.node").count() == 4
    assert sorted(texts(page, "#plan-graph .edge-label text")) == [
        "always", "always", "on failure", "on success",
    ]  # fmt: skip
    assert graph.get_attribute("data-edges") == "4"
    assert "fetch_items · HTTP request" in texts(page, "#plan-graph text.note")
    screenshot(graph, "plan-graph")

    # Run now: the run graph and timeline turn green without a reload.
    page.click("#run-now")
    page.wait_for_url("**/runs/*/")
    run = PlanRun.objects.get(plan=plan)
    assert page.get_attribute("#run-live", "data-run-status") in {"queued", "running"}
    page.evaluate("window.__sameDocument = 'yes'")
    page.wait_for_selector('#run-graph g.node[data-ref="fetch_items"][data-status="running"]')
    screenshot(page.locator("#run-timeline svg.timeline"), "run-timeline-running")
    try:
        page.wait_for_selector('#run-live[data-run-status="succeeded"]', timeout=30_000)
    except Exception as error:
        raise AssertionError(celery_worker_process.log()[-3000:]) from error
    assert page.evaluate("window.__sameDocument") == "yes"
    assert node_statuses(page, "#run-graph") == {
        "fetch_items": "succeeded", "load": "succeeded", "alert": "skipped", "cleanup": "succeeded",
    }  # fmt: skip
    notes = texts(page, "#run-graph text.note")
    assert notes[0].startswith("✓ succeeded") and notes[2].startswith("↷ skipped")
    timeline = page.locator("#run-timeline svg.timeline")
    assert timeline.get_attribute("data-rows") == "4"
    assert (
        timeline.locator("rect.bar.run").count() == 3
        and timeline.locator("rect.marker").count() == 1
    )
    assert WHY in page.inner_text("#run-timeline")
    assert page.locator("#run-live").get_attribute("hx-trigger") is None  # polling stopped
    screenshot(page.locator("#run-graph svg.graph"), "run-graph")
    screenshot(timeline, "run-timeline")

    # The skipped job says why.
    page.click('#run-graph g.node[data-ref="alert"]')
    page.wait_for_url("**/jobs/*/")
    assert page.inner_text("#skip-reason") == f"Skipped: {WHY.removeprefix('skipped: ')}."

    # A second run fails (fetch answers 500): found on /runs/ by status and date.
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.click("#run-now")
    page.wait_for_selector('#run-live[data-run-status="failed"]', timeout=30_000)
    failed = PlanRun.objects.filter(plan=plan).latest("created_at")
    assert node_statuses(page, "#run-graph")["load"] == "skipped"
    page.goto(f"{live_server.url}/runs/")
    page.select_option("#filter-status", "failed")
    page.fill("#filter-since", date.today().isoformat())
    page.fill("#filter-until", date.today().isoformat())
    page.click("#run-filters button[type=submit]")
    page.wait_for_url("**/runs/?*status=failed*")
    rows = page.locator("#runs-table tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-run") == str(failed.pk)
    rows.first.locator("a").first.click()

    # Retry from failed (its hint names the snapshot), then Run again.
    page.wait_for_url(f"**/runs/{failed.pk}/")
    assert "own snapshot" in page.inner_text("#retry-hint")
    assert page.locator("#previous-run").get_attribute("href") == f"/runs/{run.pk}/"
    page.click("#retry-run")
    page.wait_for_selector('#run-live[data-run-status="failed"]', timeout=30_000)
    retry = PlanRun.objects.get(retry_of=failed)
    assert retry.source == RunSource.RETRY and page.url.endswith(f"/runs/{retry.pk}/")
    page.click("#run-again")
    page.wait_for_selector('#run-live[data-run-status="failed"]', timeout=30_000)
    again = PlanRun.objects.filter(plan=plan).latest("created_at")
    assert again.source == RunSource.MANUAL and again.pk not in {run.pk, failed.pk, retry.pk}

    # Plan View's run history: a column per run, a cell per task and run.
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    grid = page.locator("#run-grid")
    assert grid.get_attribute("data-runs") == "4" and grid.get_attribute("data-tasks") == "4"
    assert grid.locator("g.cell:not(.run-cell)").count() == 16
    statuses = page.eval_on_selector_all(
        "#run-grid g.run-cell", "cs => cs.map(c => c.dataset.status)"
    )
    assert statuses == ["succeeded", "failed", "failed", "failed"]
    durations = page.locator("#run-durations")
    assert durations.locator("g.duration").count() == 4
    assert durations.locator('g.duration[data-status="failed"] text.glyph').count() == 3
    screenshot(grid, "run-history-grid")
    screenshot(durations, "run-durations")


def test_cancel_run_asks_first_and_a_dismissed_question_changes_nothing(
    live_server: Any, user: Any, http_peer: Any, celery_worker_process: Any, browser_page: Any
) -> None:
    http_peer.route("/fetch_items", status=200, hold_s=20)
    plan = branching_plan(user, http_peer)
    page = browser_page
    log_in(page, live_server.url, user.username, "owner-password-1")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.click("#run-now")
    page.wait_for_url("**/runs/*/")
    run = PlanRun.objects.get(plan=plan)
    questions: list[str] = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#cancel-run")
    page.wait_for_timeout(500)
    run.refresh_from_db()
    assert run.status in {RunStatus.QUEUED, RunStatus.RUNNING}
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("#cancel-run")
    page.wait_for_selector('#run-live[data-run-status="canceled"]')

    assert questions[0].startswith(f"Cancel run #{run.pk}?") and len(questions) == 2
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED


@pytest.mark.parametrize("size", [1, 50])
def test_a_plan_graph_of_one_or_fifty_tasks_is_drawn_whole_without_overlaps(
    live_server: Any, user: Any, browser_page: Any, size: int
) -> None:
    tasks: list[dict[str, Any]] = []
    for i in range(size):
        task: dict[str, Any] = {
            "name": f"Step {i} of the nightly load", "ref": f"step_{i}", "type": "http",
            "config": {"url": "http://127.0.0.1:9/"},
        }  # fmt: skip
        if i % 10 == 5:  # an on-failure branch now and then
            task.update(runWhen="onFailure", upstream=[f"step_{i - 2}"])
        tasks.append(task)
    plan = plan_create(owner=user, name=f"{size} tasks", tasks=tasks)
    page = browser_page
    log_in(page, live_server.url, user.username, "owner-password-1")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")

    graph = page.locator("#plan-graph svg.graph")
    boxes = page.eval_on_selector_all(
        "#plan-graph g.node rect",
        "rs => rs.map(r => { const b = r.getBBox(); return [b.x, b.y, b.width, b.height]; })",
    )
    assert len(boxes) == size
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    labels = texts(page, "#plan-graph .edge-label text")
    assert len(labels) == size - 1
    assert labels.count("on failure") == sum(1 for t in tasks if t.get("runWhen") == "onFailure")
    screenshot(graph, f"plan-graph-{size}-tasks")
