"""Job History: date range, flow and plan-name filters, keyset pages, bounded choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.services import flow_run_adhoc
from plans.models import Plan
from plans.services import plan_create
from runs.filters import NAME_CHOICES
from runs.models import Job, RunSource
from runs.services import run_plan
from tests.flows.test_parameters import make_flow

pytestmark = pytest.mark.django_db
URL = reverse("runs:jobs")


def http_plan(owner: Any, name: str) -> Plan:
    return plan_create(
        owner=owner,
        name=name,
        tasks=[{"name": "Ping", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}],
    )


def shown(client: Any, **params: Any) -> list[int]:
    return [job.pk for job in client.get(URL, params).context["page"].items]


def test_it_filters_by_a_date_range_in_the_sites_zone(client: Any, user: Any) -> None:
    plan = http_plan(user, "P")
    day = datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
    jobs = []
    for offset in (0, 1, 2):  # the last second of three days
        run = run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
        Job.objects.filter(run=run).update(created_at=day + timedelta(days=offset))
        jobs.append(run.jobs.get().pk)
    client.force_login(user)

    assert shown(client, since="2026-03-03") == [jobs[2], jobs[1]]
    assert shown(client, until="2026-03-03") == [jobs[1], jobs[0]]
    assert shown(client, since="2026-03-03", until="2026-03-03") == [jobs[1]]
    page = client.get(URL, {"since": "2026-03-03"}).content.decode()
    assert 'value="2026-03-03"' in page and "(UTC)" in page


def test_it_filters_by_flow_and_by_plan_name(client: Any, user: Any, other_user: Any) -> None:
    sales, costs = make_flow(user, "Sales"), make_flow(user, "Costs")
    flow_plan = plan_create(
        owner=user,
        name="Flows",
        tasks=[
            {"name": "sales", "ref": "sales", "type": "flow", "config": {"flow": sales.pk}},
            {"name": "costs", "ref": "costs", "type": "flow", "config": {"flow": costs.pk}},
        ],
    )
    run = run_plan(plan=flow_plan, source=RunSource.MANUAL, enqueue=False)
    http_run = run_plan(plan=http_plan(user, "Pings"), source=RunSource.MANUAL, enqueue=False)
    adhoc = flow_run_adhoc(flow=sales, requested_by=user).job  # queued on commit: never here
    foreign = make_flow(other_user, "Their flow")
    client.force_login(user)

    sales_jobs = shown(client, flow_name="sales")
    assert sales_jobs == [adhoc.pk, run.jobs.get(task_ref="sales").pk]
    assert shown(client, flow=costs.pk) == [run.jobs.get(task_ref="costs").pk]
    assert shown(client, flow=foreign.pk) == []  # someone else's flow: nothing
    assert shown(client, plan_name="PINGS") == [http_run.jobs.get().pk]
    page = client.get(URL, {"flow": sales.pk}).content.decode()
    assert 'name="flow_name" list="flow-names" value="Sales"' in page


def test_the_plan_and_flow_fields_offer_a_bounded_list_of_names(client: Any, user: Any) -> None:
    Plan.objects.bulk_create(
        Plan(owner=user, name=f"Plan {i:03d}") for i in range(NAME_CHOICES + 30)
    )
    client.force_login(user)

    response = client.get(URL)

    assert len(response.context["plan_names"]) == NAME_CHOICES
    page = response.content.decode()
    assert page.count('<option value="Plan ') == NAME_CHOICES


def test_pages_go_older_and_newer_by_keyset(client: Any, user: Any) -> None:
    plan = Plan.objects.create(owner=user, name="Many")
    Job.objects.bulk_create(
        Job(plan=plan, task_name=f"job {i}", task_type="http") for i in range(120)
    )
    client.force_login(user)

    first = client.get(URL).context["page"]
    second = client.get(URL, {"after": first.older}).context["page"]
    back = client.get(URL, {"before": second.newer}).context["page"]

    assert [j.pk for j in back.items] == [j.pk for j in first.items]
    assert not {j.pk for j in first.items} & {j.pk for j in second.items}
    assert second.older is not None


def test_a_page_never_counts_the_history_and_costs_the_same_for_3_or_60_jobs(
    client: Any, user: Any
) -> None:
    flow = make_flow(user)
    plan = plan_create(
        owner=user, name="F", tasks=[{"name": "f", "type": "flow", "config": {"flow": flow.pk}}]
    )
    client.force_login(user)

    def count(**params: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.status_code == 200
        sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
        assert "COUNT(" not in sql and "OFFSET" not in sql
        return len(queries)

    for _ in range(3):
        run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
    few = count(), count(flow=flow.pk, since="2020-01-01"), count(plan=plan.pk)
    for _ in range(57):
        run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)

    assert (count(), count(flow=flow.pk, since="2020-01-01"), count(plan=plan.pk)) == few
