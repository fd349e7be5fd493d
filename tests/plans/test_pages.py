"""Plan pages as personas: the owner, an outsider, staff and anonymous visitors."""

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


def http_task(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "http",
        "config": {"method": "GET", "url": f"http://127.0.0.1:9/{name.replace(' ', '-')}"},
        **extra,
    }


def make_plan(owner: Any, name: str = "Nightly export", n_tasks: int = 2) -> Plan:
    return plan_create(
        owner=owner, name=name, tasks=[http_task(f"step {i}") for i in range(1, n_tasks + 1)]
    )


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_it_lists_the_owners_plans_with_their_latest_run(client: Any, user: Any) -> None:
    plan = make_plan(user)
    run_plan(plan=plan, source=RunSource.MANUAL, requested_by=user)
    latest = run_plan(plan=plan, source=RunSource.MANUAL, requested_by=user)
    PlanRun.objects.filter(pk=latest.pk).update(status=RunStatus.FAILED)
    client.force_login(user)

    page = client.get(reverse("plans:list")).content.decode()

    assert "Nightly export" in page
    assert reverse("runs:detail", args=[latest.pk]) in page
    assert 'data-status="failed"' in page


def test_it_hides_other_peoples_plans_from_the_list(
    client: Any, user: Any, other_user: Any
) -> None:
    make_plan(user, "Owner's plan")
    make_plan(other_user, "Outsider's plan")
    client.force_login(other_user)

    page = client.get(reverse("plans:list")).content.decode()

    assert "Outsider&#x27;s plan" in page
    assert "Owner&#x27;s plan" not in page


def test_it_shows_staff_every_plan(
    client: Any, user: Any, other_user: Any, staff_user: Any
) -> None:
    make_plan(user, "First")
    make_plan(other_user, "Second")
    client.force_login(staff_user)

    page = client.get(reverse("plans:list")).content.decode()

    assert "First" in page and "Second" in page


def test_it_redirects_anonymous_visitors_to_login(client: Any, user: Any) -> None:
    plan = make_plan(user)
    for url in (reverse("plans:list"), reverse("plans:detail", args=[plan.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_lists_plans_in_the_same_number_of_queries_for_2_or_20(client: Any, user: Any) -> None:
    client.force_login(user)
    for i in range(2):
        run_plan(plan=make_plan(user, f"plan {i}"), source=RunSource.MANUAL, requested_by=user)
    with_two = count_queries(client, reverse("plans:list"))
    for i in range(2, 20):
        run_plan(plan=make_plan(user, f"plan {i}"), source=RunSource.MANUAL, requested_by=user)

    with_twenty = count_queries(client, reverse("plans:list"))

    assert with_twenty == with_two


def test_it_paginates_the_plan_list(client: Any, user: Any) -> None:
    for i in range(55):
        Plan.objects.create(owner=user, name=f"p{i:02d}")
    client.force_login(user)

    first = client.get(reverse("plans:list")).content.decode()
    second = client.get(reverse("plans:list") + "?page=2").content.decode()

    assert "p00" in first and "p54" not in first
    assert "p54" in second and "Page 2 of 2" in second


def test_plan_view_shows_tasks_in_order_with_conditions_and_upstream_links(
    client: Any, user: Any
) -> None:
    plan = plan_create(
        owner=user,
        name="Branches",
        tasks=[
            http_task("Fetch orders", ref="fetch"),
            http_task("Tell success", ref="ok_note"),
            http_task("Tell failure", ref="bad_note", runWhen="onFailure", upstream=["fetch"]),
        ],
    )
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    assert page.index("Fetch orders") < page.index("Tell success") < page.index("Tell failure")
    assert 'id="task-bad_note" class="task branch when-onFailure"' in page
    assert 'href="#task-fetch"' in page
    assert "on failure" in page
    assert "Run now" in page


def test_plan_view_answers_404_to_an_outsider(client: Any, user: Any, other_user: Any) -> None:
    plan = make_plan(user)
    client.force_login(other_user)

    assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 404
    assert client.post(reverse("plans:run", args=[plan.pk])).status_code == 404
    assert not PlanRun.objects.exists()


def test_plan_view_lists_recent_runs(client: Any, user: Any) -> None:
    plan = make_plan(user)
    runs = [run_plan(plan=plan, source=RunSource.MANUAL, requested_by=user) for _ in range(3)]
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    for run in runs:
        assert reverse("runs:detail", args=[run.pk]) in page


def test_plan_view_leaves_a_place_for_triggers(client: Any, user: Any) -> None:
    plan = make_plan(user)
    client.force_login(user)

    response = client.get(reverse("plans:detail", args=[plan.pk]))

    assert "plans/_triggers.html" in [t.name for t in response.templates]


def test_run_now_starts_a_manual_run_and_shows_its_details(client: Any, user: Any) -> None:
    plan = make_plan(user)
    client.force_login(user)

    response = client.post(reverse("plans:run", args=[plan.pk]))

    run = PlanRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("runs:detail", args=[run.pk])
    assert run.source == RunSource.MANUAL
    assert run.requested_by == user
    assert run.jobs.count() == 2


def test_run_now_refuses_get(client: Any, user: Any) -> None:
    plan = make_plan(user)
    client.force_login(user)

    assert client.get(reverse("plans:run", args=[plan.pk])).status_code == 405
    assert not PlanRun.objects.exists()
