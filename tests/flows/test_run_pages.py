"""Run details and job details show a flow job's effective parameters and its outputs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from flows.services import plan_override_set
from runs.models import Job, JobStatus
from runs.services import run_plan
from tests.flows.test_parameters import make_flow, make_plan

pytestmark = pytest.mark.django_db


def test_run_details_show_each_parameter_with_the_layer_it_comes_from(
    client: Any, user: Any
) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)
    plan_override_set(plan=plan, flow=flow, name="min", value="5")
    run = run_plan(plan=plan, source="api", parameter_overrides={"Sales": {"region": "us"}})
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    section = page[page.index('id="run-parameters"') :]
    assert "<code>us</code></td><td>run" in section
    assert "<code>5</code></td><td>plan" in section
    assert "<code>2024-01-01</code></td><td>flow default" in section


def test_job_details_show_the_outputs_of_a_flow_job(client: Any, user: Any) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)
    run = run_plan(plan=plan, source="manual")
    Job.objects.filter(run=run).update(
        status=JobStatus.SUCCEEDED,
        result={
            "parameters": {"region": {"value": "eu", "source": "flow default"}},
            "outputs": [
                {
                    "name": "out",
                    "path": "out/2024-01-01.csv",
                    "format": "csv",
                    "rowCount": 2,
                    "sizeBytes": 40,
                    "columns": [
                        {"name": "id", "type": "BIGINT"},
                        {"name": "amount", "type": "DOUBLE"},
                    ],
                    "preview": [{"id": 1, "amount": 9.5}, {"id": 2, "amount": 7.25}],
                }
            ],
        },
    )
    client.force_login(user)

    page = client.get(reverse("runs:job", args=[run.jobs.get().pk])).content.decode()

    assert "Output out" in page
    assert "out/2024-01-01.csv" in page
    assert '<dd class="row-count">2</dd>' in page
    assert "BIGINT" in page
    assert "<td>7.25</td>" in page
    assert "flow default" in page


def test_the_retry_dialog_overrides_only_the_values_that_were_changed(
    client: Any, user: Any
) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)
    run = run_plan(plan=plan, source="manual")
    Job.objects.filter(run=run).update(status=JobStatus.FAILED, error="boom")
    run.status = "failed"
    run.save(update_fields=["status"])
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    response = client.post(
        reverse("runs:retry", args=[run.pk]),
        {
            "param:Sales:region": "us",
            "was:Sales:region": "eu",
            "param:Sales:min": "0",
            "was:Sales:min": "0",
        },
    )

    assert 'id="retry-with-parameters"' in page
    retry = run.retries.get()
    assert response["Location"] == reverse("runs:detail", args=[retry.pk])
    assert retry.parameter_overrides == {"Sales": {"region": "us"}}


def test_the_retry_dialog_refuses_a_value_of_the_wrong_type_and_starts_nothing(
    client: Any, user: Any
) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)
    run = run_plan(plan=plan, source="manual")
    run.status = "failed"
    run.save(update_fields=["status"])
    client.force_login(user)

    response = client.post(
        reverse("runs:retry", args=[run.pk]),
        {"param:Sales:min": "lots", "was:Sales:min": "0"},
        follow=True,
    )

    assert "parameterOverrides.Sales.min" in response.content.decode()
    assert not run.retries.exists()
