"""Flow pages: who sees which flow, Run flow, and Plan View's Manage parameters."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from flows.services import flow_create
from plans.services import plan_create
from runs.models import Job, JobStatus

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "parameters": [{"name": "limit_to", "type": "number", "default": 10}],
    "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
    "recipes": [
        {
            "name": "main",
            "source": {"dataset": "sales"},
            "steps": [{"kind": "filter", "expression": "id < $limit_to"}],
        }
    ],
    "outputs": [{"name": "report", "recipe": "main", "path": "out/report.csv"}],
}


@pytest.fixture
def flow(user: Any) -> Any:
    return flow_create(owner=user, name="Sales report", definition=DEFINITION)


def test_the_owner_sees_the_flow_and_its_parts(client: Any, user: Any, flow: Any) -> None:
    client.force_login(user)

    listing = client.get(reverse("flows:list")).content.decode()
    page = client.get(reverse("flows:detail", args=[flow.pk])).content.decode()

    assert "Sales report" in listing
    for text in ("limit_to", "data/sales.csv", "filter", "out/report.csv", "Run flow"):
        assert text in page


def test_an_outsider_sees_no_flow(client: Any, other_user: Any, flow: Any) -> None:
    client.force_login(other_user)

    assert "Sales report" not in client.get(reverse("flows:list")).content.decode()
    assert client.get(reverse("flows:detail", args=[flow.pk])).status_code == 404
    assert client.post(reverse("flows:run", args=[flow.pk])).status_code == 404
    assert not Job.objects.exists()


def test_the_flow_list_costs_the_same_for_many_flows(
    client: Any, user: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(12):
        flow_create(owner=user, name=f"F{index}", definition=DEFINITION)
    client.force_login(user)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("flows:list"))

    page = response.content.decode()
    assert all(f">F{index}<" in page for index in range(12))


def test_run_flow_queues_an_ad_hoc_job_on_commit(
    client: Any, user: Any, flow: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("flows:run", args=[flow.pk]))

    job = Job.objects.get()
    assert response.status_code == 302
    assert (job.run_id, job.plan_id, job.task_type, job.owner) == (None, None, "flow", flow.owner)
    assert job.flow_run.flow == flow and job.flow_run.requested_by == user
    assert job.status == JobStatus.PENDING
    assert len(callbacks) == 1
    page = client.get(reverse("flows:detail", args=[flow.pk])).content.decode()
    assert f"#{job.pk}" in page and "ad hoc" in page


def test_manage_parameters_sets_and_clears_a_plan_override(
    client: Any, user: Any, flow: Any
) -> None:
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    url = reverse("flows:plan_parameters", args=[plan.pk])
    client.force_login(user)

    shown = client.get(url).content.decode()
    bad = client.post(
        url, {"flow": flow.pk, "name": "limit_to", "value": "ten", "action": "set"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    good = client.post(url, {"flow": flow.pk, "name": "limit_to", "value": "3", "action": "set"})
    plan.refresh_from_db()
    stored = plan.parameter_overrides[flow.name]["limit_to"]
    cleared = client.post(url, {"flow": flow.pk, "name": "limit_to", "action": "clear"})
    plan.refresh_from_db()

    assert "limit_to" in shown and "Sales report" in shown
    assert bad.status_code == 400 and "must be a number" in bad.content.decode()
    assert good.status_code == 302 and stored == 3
    assert cleared.status_code == 302 and plan.parameter_overrides == {}


def test_manage_parameters_is_not_for_outsiders(
    client: Any, user: Any, other_user: Any, flow: Any
) -> None:
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    client.force_login(other_user)

    response = client.post(
        reverse("flows:plan_parameters", args=[plan.pk]),
        {"flow": flow.pk, "name": "limit_to", "value": "3", "action": "set"},
    )

    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.parameter_overrides == {}


def test_the_admin_edits_a_flow_with_its_parts(client: Any, staff_user: Any, flow: Any) -> None:
    client.force_login(staff_user)

    page = client.get(reverse("admin:flows_flow_change", args=[flow.pk]))

    assert page.status_code == 200
    assert "limit_to" in page.content.decode()


def test_plan_view_shows_manage_parameters(client: Any, user: Any, flow: Any) -> None:
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    assert 'id="plan-parameters"' in page
    assert reverse("flows:plan_parameters", args=[plan.pk]) in page
