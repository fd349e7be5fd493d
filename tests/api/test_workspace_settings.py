"""`/v4/workspaceSettings` and what the plans switch does to the rest of the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plans.triggers.services import trigger_create
from runs.models import PlanRun
from workspace.models import WorkspaceSettings
from workspace.selectors import get_workspace_settings
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db

URL = "/v4/workspaceSettings"
PLANS_OFF = "Plans are turned off in this workspace's settings."


def test_anyone_signed_in_reads_the_switches(user: Any, api_client: Any) -> None:
    body = api_client(user).get(URL).json()

    assert set(body) == {
        "plansEnabled", "sharingEnabled", "importExportEnabled", "planEmailsEnabled",
        "apiTokensEnabled", "updatedAt",
    }  # fmt: skip
    assert {k: v for k, v in body.items() if k != "updatedAt"} == {
        "plansEnabled": True,
        "sharingEnabled": True,
        "importExportEnabled": True,
        "planEmailsEnabled": True,
        "apiTokensEnabled": True,
    }


def test_staff_patch_the_given_switches(staff_user: Any, api_client: Any) -> None:
    response = api_client(staff_user).patch(
        URL,
        {"sharingEnabled": False, "importExportEnabled": False, "planEmailsEnabled": False},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["sharingEnabled"] is False
    assert response.json()["plansEnabled"] is True
    row = get_workspace_settings()
    assert (
        row.plans_enabled,
        row.sharing_enabled,
        row.import_export_enabled,
        row.plan_emails_enabled,
    ) == (True, False, False, False)
    # A client may send back what it read.
    again = api_client(staff_user).patch(URL, response.json(), format="json")
    assert again.status_code == 200


def test_a_user_who_is_not_staff_cannot_patch(user: Any, api_client: Any) -> None:
    response = api_client(user).patch(URL, {"plansEnabled": False}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "Only staff can change the workspace settings.",
        "details": {},
    }
    assert not WorkspaceSettings.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plansEnabled": "no"}, "plansEnabled"),
        ({"plansEnabled": 0}, "plansEnabled"),
        ({"sharingEnabled": None}, "sharingEnabled"),
        ({"plansEnabled": False, "colour": "red"}, "colour"),
    ],
)
def test_a_bad_field_is_a_400_that_changes_nothing(
    staff_user: Any, api_client: Any, body: dict[str, Any], field: str
) -> None:
    response = api_client(staff_user).patch(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert get_workspace_settings().plans_enabled is True


def test_without_a_token_it_is_a_401(client: Any) -> None:
    assert client.get(URL).status_code == 401


# --- plans turned off ------------------------------------------------------------------


@pytest.fixture
def plans_off() -> None:
    workspace_settings_update(plans_enabled=False)


def test_with_plans_off_every_plan_run_trigger_and_job_endpoint_answers_403(
    user: Any, api_client: Any, make_plan: Callable, make_run: Callable
) -> None:
    plan = make_plan()
    run = make_run(plan)
    trigger = trigger_create(plan=plan, name="T", kind="cron", cron="0 6 * * *")
    job = run.jobs.first()
    workspace_settings_update(plans_enabled=False)
    client = api_client(user)

    calls = [
        client.get("/v4/plans"),
        client.post("/v4/plans", {"name": "x", "tasks": []}, format="json"),
        client.get(f"/v4/plans/{plan.pk}"),
        client.patch(f"/v4/plans/{plan.pk}", {"name": "y"}, format="json"),
        client.delete(f"/v4/plans/{plan.pk}"),
        client.post(f"/v4/plans/{plan.pk}/run"),
        client.get(f"/v4/plans/{plan.pk}/permissions"),
        client.get(f"/v4/plans/{plan.pk}/triggers"),
        client.get(f"/v4/triggers/{trigger.pk}"),
        client.get("/v4/planSnapshotRuns"),
        client.get(f"/v4/planSnapshotRuns/{run.pk}"),
        client.post(f"/v4/planSnapshotRuns/{run.pk}/cancel"),
        client.get("/v4/jobs"),
        client.get(f"/v4/jobs/{job.pk}"),
    ]

    for response in calls:
        assert response.status_code == 403, response.request
        assert response.json()["error"] == {
            "code": "feature_disabled",
            "message": PLANS_OFF,
            "details": {},
        }
    assert plan.name == "Plan" and PlanRun.objects.count() == 1


def test_with_plans_off_the_settings_and_connections_still_answer(
    staff_user: Any, api_client: Any, plans_off: None
) -> None:
    client = api_client(staff_user)

    assert client.get("/v4/connections").status_code == 200
    assert client.patch(URL, {"plansEnabled": True}, format="json").status_code == 200
    assert client.get("/v4/plans").status_code == 200


def test_with_plans_off_a_missing_token_is_still_a_401(client: Any, plans_off: None) -> None:
    assert client.get("/v4/plans").status_code == 401


def test_with_plans_off_an_adhoc_flow_job_is_still_readable(
    user: Any, api_client: Any, plans_off: None
) -> None:
    from flows.services import flow_create, flow_run_adhoc

    flow = flow_create(
        owner=user,
        name="Sales report",
        definition={
            "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
            "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
            "outputs": [{"name": "report", "recipe": "main", "path": "out/report.csv"}],
        },
    )
    job = flow_run_adhoc(flow=flow, requested_by=user).job  # queued on commit: never, here

    response = api_client(user).get(f"/v4/jobs/{job.pk}")

    assert response.status_code == 200 and response.json()["planId"] is None
