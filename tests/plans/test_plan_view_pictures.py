"""Plan View's graph and run history, its live runs section, and the live plans list."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.models import Plan
from plans.services import plan_create
from runs.models import PlanRun, RunSource, RunStatus
from runs.services import run_plan

pytestmark = pytest.mark.django_db


def plan_of(owner: Any, n_tasks: int = 3, name: str = "Graph") -> Plan:
    tasks: list[dict[str, Any]] = [
        {
            "name": f"Step {i}",
            "ref": f"step_{i}",
            "type": "http",
            "config": {"url": "http://127.0.0.1:9/"},
        }
        for i in range(n_tasks)
    ]
    if n_tasks > 1:
        tasks.append(
            {"name": "On failure", "ref": "on_failure", "type": "http", "config": {"url": "http://127.0.0.1:9/"},
             "runWhen": "onFailure", "upstream": ["step_0"]}
        )  # fmt: skip
    return plan_create(owner=owner, name=name, tasks=tasks)


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</svg>", start)]


def test_plan_view_draws_the_plan_graph_with_labelled_edges(client: Any, user: Any) -> None:
    plan = plan_of(user)
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    graph = section(page, "plan-graph")
    assert 'data-nodes="4" data-edges="3"' in graph
    assert graph.count('class="edge when-onSuccess"') == 2
    assert graph.count('class="edge when-onFailure"') == 1
    assert graph.count(">on success</text>") == 2 and graph.count(">on failure</text>") == 1
    assert 'href="#task-step_0"' in graph
    assert "step_1 · HTTP request" in graph


def test_a_plan_with_one_task_is_one_node_and_no_edge(client: Any, user: Any) -> None:
    plan = plan_of(user, n_tasks=1)
    client.force_login(user)

    graph = section(
        client.get(reverse("plans:detail", args=[plan.pk])).content.decode(), "plan-graph"
    )

    assert 'data-nodes="1" data-edges="0"' in graph


def test_the_run_history_shows_the_last_runs_and_links_each_cell_to_its_job(
    client: Any, user: Any
) -> None:
    plan = plan_of(user)
    runs = [run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False) for _ in range(3)]
    PlanRun.objects.filter(pk=runs[0].pk).update(status=RunStatus.FAILED)
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    grid = section(page, "run-grid")
    assert 'data-runs="3" data-tasks="4"' in grid
    assert grid.count('class="cell st-pending"') == 12
    for job in runs[1].jobs.all():
        assert f'href="{reverse("runs:job", args=[job.pk])}"' in grid
    durations = section(page, "run-durations")
    assert (
        'data-runs="3"' in durations
        and f'data-run="{runs[0].pk}" data-status="failed"' in durations
    )


def test_the_runs_section_refreshes_only_while_a_run_is_active(client: Any, user: Any) -> None:
    plan = plan_of(user)
    run = run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
    client.force_login(user)
    polling = f'hx-get="{reverse("plans:runs_fragment", args=[plan.pk])}" hx-trigger="every 2s"'

    active_page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    ended = client.get(reverse("plans:runs_fragment", args=[plan.pk])).content.decode()

    assert polling in active_page
    assert polling not in ended and 'data-active="no"' in ended
    assert f'href="{reverse("runs:list")}?plan={plan.pk}"' in ended


def test_the_plans_list_refreshes_only_while_a_latest_run_is_active(client: Any, user: Any) -> None:
    plan = plan_of(user)
    run = run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
    client.force_login(user)
    polling = f'hx-get="{reverse("plans:list_fragment")}" hx-trigger="every 2s"'

    active = client.get(reverse("plans:list")).content.decode()
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    ended = client.get(reverse("plans:list_fragment")).content.decode()

    assert polling in active
    assert polling not in ended and 'data-run-status="failed"' in ended


def test_an_outsider_gets_404_from_the_runs_fragment(
    client: Any, user: Any, other_user: Any
) -> None:
    plan = plan_of(user)
    client.force_login(other_user)

    assert client.get(reverse("plans:runs_fragment", args=[plan.pk])).status_code == 404


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["plans:detail", "plans:runs_fragment"])
def test_plan_view_costs_the_same_queries_for_few_or_many_tasks_and_runs(
    client: Any, user: Any, view: str
) -> None:
    client.force_login(user)
    small, big = plan_of(user, 2, "Small"), plan_of(user, 40, "Big")
    run_plan(plan=small, source=RunSource.MANUAL, enqueue=False)
    for _ in range(60):
        run_plan(plan=big, source=RunSource.MANUAL, enqueue=False)

    assert count_queries(client, reverse(view, args=[small.pk])) == count_queries(
        client, reverse(view, args=[big.pk])
    )


def test_the_plans_list_costs_the_same_queries_for_2_or_20_plans(client: Any, user: Any) -> None:
    client.force_login(user)
    for i in range(2):
        run_plan(plan=plan_of(user, 1, f"P{i}"), source=RunSource.MANUAL, enqueue=False)
    few = (
        count_queries(client, reverse("plans:list")),
        count_queries(client, reverse("plans:list_fragment")),
    )
    for i in range(2, 20):
        run_plan(plan=plan_of(user, 1, f"P{i}"), source=RunSource.MANUAL, enqueue=False)

    assert (count_queries(client, reverse("plans:list")), count_queries(client, reverse("plans:list_fragment"))) == few  # fmt: skip
