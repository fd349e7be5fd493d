"""Sharing through the API: `/v4/plans/{id}/permissions`, and what each role may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plans.models import Plan, PlanShare, Trigger
from plans.services import plan_create
from plans.triggers.services import trigger_create
from runs.models import PlanRun, RunStatus
from tests.api.conftest import http_task
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(make_plan: Callable[..., Plan]) -> Plan:
    return make_plan(name="Shared plan")


def perms_url(plan: Plan) -> str:
    return f"/v4/plans/{plan.pk}/permissions"


# --- the permissions endpoints -----------------------------------------------------------


def test_the_owner_shares_by_email_and_lists_the_owner_first(
    plan: Plan, user: Any, editor: Any, api_client: Any
) -> None:
    client = api_client(user)

    created = client.post(
        perms_url(plan), {"email": "Editor@Example.com", "role": "editor"}, format="json"
    )
    listed = client.get(perms_url(plan))

    assert created.status_code == 201
    assert created.json() == {
        "data": [
            {
                "subjectId": editor.pk,
                "username": "editor",
                "email": "editor@example.com",
                "role": "editor",
            }
        ]
    }
    assert listed.json() == {
        "data": [
            {
                "subjectId": user.pk,
                "username": "owner",
                "email": "owner@example.com",
                "role": "owner",
            },
            {
                "subjectId": editor.pk,
                "username": "editor",
                "email": "editor@example.com",
                "role": "editor",
            },
        ],
        "next": None,
    }


def test_a_list_under_data_shares_with_several_people_and_role_defaults_to_viewer(
    plan: Plan, user: Any, viewer: Any, editor: Any, api_client: Any
) -> None:
    response = api_client(user).post(
        perms_url(plan),
        {"data": [{"username": "viewer"}, {"email": "editor@example.com", "role": "editor"}]},
        format="json",
    )

    assert response.status_code == 201
    assert {(s.user.username, s.role) for s in PlanShare.objects.all()} == {
        ("viewer", "viewer"),
        ("editor", "editor"),
    }


def test_an_unknown_user_is_a_400_naming_them_and_nothing_is_saved(
    plan: Plan, user: Any, viewer: Any, api_client: Any
) -> None:
    response = api_client(user).post(
        perms_url(plan),
        {"data": [{"username": "viewer"}, {"email": "ghost@example.com", "role": "editor"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "data[1].email: No user with the email 'ghost@example.com'."
    )
    assert not PlanShare.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "viewer@example.com", "role": "owner"}, "role"),
        ({"email": 7}, "email"),
        ({"role": "viewer"}, "email"),
        ({"email": "viewer@example.com", "username": "viewer"}, "email"),
        ({"email": "viewer@example.com", "colour": "red"}, "colour"),
        ({"data": []}, "data"),
        ({"data": "viewer"}, "data"),
        ({"data": [{"username": "viewer"}], "email": "x@example.com"}, "data"),
        ({"data": [{"username": "viewer", "role": "boss"}]}, "data[0].role"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(
    plan: Plan, user: Any, viewer: Any, api_client: Any, body: dict[str, Any], field: str
) -> None:
    response = api_client(user).post(perms_url(plan), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not PlanShare.objects.exists()


def test_sharing_with_the_owner_is_a_400(plan: Plan, user: Any, api_client: Any) -> None:
    response = api_client(user).post(perms_url(plan), {"username": "owner"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"username": ["'owner' owns this plan."]}


def test_delete_removes_a_collaborator_and_then_they_see_nothing(
    plan: Plan, user: Any, viewer: Any, api_client: Any, share: Callable[..., Any]
) -> None:
    share(plan, viewer)
    assert api_client(viewer).get(f"/v4/plans/{plan.pk}").status_code == 200

    response = api_client(user).delete(f"{perms_url(plan)}/{viewer.pk}")

    assert response.status_code == 204
    assert api_client(viewer).get(f"/v4/plans/{plan.pk}").status_code == 404
    assert api_client(user).delete(f"{perms_url(plan)}/{viewer.pk}").status_code == 404
    owner = api_client(user).delete(f"{perms_url(plan)}/{user.pk}")
    assert owner.status_code == 400


def test_staff_share_anyones_plan(
    plan: Plan, staff_user: Any, viewer: Any, api_client: Any
) -> None:
    response = api_client(staff_user).post(perms_url(plan), {"username": "viewer"}, format="json")

    assert response.status_code == 201
    assert PlanShare.objects.get().created_by == staff_user


def test_collaborators_can_neither_list_nor_change_the_shares(
    plan: Plan,
    viewer: Any,
    editor: Any,
    other_user: Any,
    api_client: Any,
    share: Callable[..., Any],
) -> None:
    share(plan, viewer)
    share(plan, editor, "editor")

    for who in (viewer, editor):
        client = api_client(who)
        listing = client.get(perms_url(plan))
        adding = client.post(perms_url(plan), {"username": "outsider"}, format="json")
        removing = client.delete(f"{perms_url(plan)}/{viewer.pk}")
        assert [listing.status_code, adding.status_code, removing.status_code] == [403, 403, 403]
        assert "owner or staff" in adding.json()["error"]["message"]
    outsider = api_client(other_user)
    assert outsider.get(perms_url(plan)).status_code == 404
    assert (
        outsider.post(perms_url(plan), {"username": "outsider"}, format="json").status_code == 404
    )
    assert PlanShare.objects.count() == 2


def test_with_sharing_off_new_shares_are_403_but_listing_and_removing_work(
    plan: Plan, user: Any, viewer: Any, editor: Any, api_client: Any, share: Callable[..., Any]
) -> None:
    share(plan, viewer)
    workspace_settings_update(sharing_enabled=False)
    client = api_client(user)

    refused = client.post(perms_url(plan), {"username": "editor"}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "feature_disabled",
        "message": "Sharing is turned off in this workspace's settings.",
        "details": {},
    }
    assert len(client.get(perms_url(plan)).json()["data"]) == 2
    # Existing shares keep working until removed.
    assert api_client(viewer).get(f"/v4/plans/{plan.pk}").status_code == 200
    assert client.delete(f"{perms_url(plan)}/{viewer.pk}").status_code == 204
    assert not PlanShare.objects.exists()


# --- what each role may do ---------------------------------------------------------------


def test_a_viewer_sees_the_plan_its_runs_jobs_and_triggers_with_their_role(
    plan: Plan,
    viewer: Any,
    api_client: Any,
    make_run: Callable[..., PlanRun],
    share: Callable[..., Any],
) -> None:
    run = make_run(plan)
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    share(plan, viewer)
    client = api_client(viewer)

    listed = client.get("/v4/plans").json()["data"]
    assert [(p["id"], p["role"]) for p in listed] == [(plan.pk, "viewer")]
    assert client.get(f"/v4/plans/{plan.pk}").json()["role"] == "viewer"
    assert [
        r["id"] for r in client.get(f"/v4/planSnapshotRuns?planId={plan.pk}").json()["data"]
    ] == [run.pk]
    assert client.get(f"/v4/planSnapshotRuns/{run.pk}").status_code == 200
    jobs = client.get(f"/v4/jobs?planSnapshotRunId={run.pk}").json()["data"]
    assert len(jobs) == 2
    assert client.get(f"/v4/jobs/{jobs[0]['id']}").status_code == 200
    assert client.get(f"/v4/plans/{plan.pk}/triggers").json()["data"][0]["id"] == trigger.pk
    assert client.get(f"/v4/triggers/{trigger.pk}").status_code == 200


def test_a_viewer_can_run_and_retry_but_not_edit_cancel_or_delete(
    plan: Plan,
    viewer: Any,
    api_client: Any,
    make_run: Callable[..., PlanRun],
    share: Callable[..., Any],
) -> None:
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    failed = make_run(plan)
    PlanRun.objects.filter(pk=failed.pk).update(status=RunStatus.FAILED)
    active = make_run(plan)
    share(plan, viewer)
    client = api_client(viewer)

    refused = [
        client.patch(f"/v4/plans/{plan.pk}", {"name": "Renamed"}, format="json"),
        client.patch(f"/v4/plans/{plan.pk}", {"paused": True}, format="json"),
        client.delete(f"/v4/plans/{plan.pk}"),
        client.post(
            f"/v4/plans/{plan.pk}/triggers",
            {"name": "x", "kind": "cron", "cron": "* * * * *"},
            format="json",
        ),
        client.patch(f"/v4/triggers/{trigger.pk}", {"enabled": False}, format="json"),
        client.delete(f"/v4/triggers/{trigger.pk}"),
        client.post(f"/v4/planSnapshotRuns/{active.pk}/cancel"),
    ]
    ran = client.post(f"/v4/plans/{plan.pk}/run")
    retried = client.post(f"/v4/planSnapshotRuns/{failed.pk}/retry")

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[0].json()["error"]["code"] == "permission_denied"
    assert "viewer" in refused[0].json()["error"]["message"]
    assert ran.status_code == 201 and retried.status_code == 201
    plan.refresh_from_db()
    trigger.refresh_from_db()
    active.refresh_from_db()
    assert (plan.name, plan.paused, trigger.enabled, active.status) == (
        "Shared plan",
        False,
        True,
        RunStatus.QUEUED,
    )
    assert Trigger.objects.count() == 1


def test_an_editor_edits_runs_and_cancels_but_cannot_delete_or_share(
    plan: Plan,
    editor: Any,
    api_client: Any,
    make_run: Callable[..., PlanRun],
    share: Callable[..., Any],
) -> None:
    active = make_run(plan)
    share(plan, editor, "editor")
    client = api_client(editor)

    renamed = client.patch(
        f"/v4/plans/{plan.pk}", {"name": "Renamed", "paused": True}, format="json"
    )
    trigger = client.post(
        f"/v4/plans/{plan.pk}/triggers",
        {"name": "x", "kind": "cron", "cron": "0 6 * * *"},
        format="json",
    )
    changed = client.patch(
        f"/v4/triggers/{trigger.json()['id']}", {"enabled": False}, format="json"
    )
    canceled = client.post(f"/v4/planSnapshotRuns/{active.pk}/cancel")
    ran = client.post(f"/v4/plans/{plan.pk}/run")
    deleted = client.delete(f"/v4/plans/{plan.pk}")
    shared = client.post(perms_url(plan), {"username": "owner"}, format="json")

    assert renamed.status_code == 200 and renamed.json()["role"] == "editor"
    assert [trigger.status_code, changed.status_code, canceled.status_code, ran.status_code] == [
        201,
        200,
        202,
        201,
    ]
    assert deleted.status_code == 403 and shared.status_code == 403
    assert "owner or staff" in deleted.json()["error"]["message"]
    assert Plan.objects.filter(pk=plan.pk, name="Renamed", paused=True).exists()
    assert client.delete(f"/v4/triggers/{trigger.json()['id']}").status_code == 204


def test_an_outsider_gets_404_for_everything_of_a_shared_plan(
    plan: Plan,
    viewer: Any,
    other_user: Any,
    api_client: Any,
    make_run: Callable[..., PlanRun],
    share: Callable[..., Any],
) -> None:
    run = make_run(plan)
    trigger = trigger_create(plan=plan, name="Daily", kind="cron", cron="0 6 * * *")
    share(plan, viewer)
    client = api_client(other_user)

    answers = [
        client.get(f"/v4/plans/{plan.pk}"),
        client.post(f"/v4/plans/{plan.pk}/run"),
        client.get(f"/v4/plans/{plan.pk}/triggers"),
        client.get(f"/v4/triggers/{trigger.pk}"),
        client.get(f"/v4/planSnapshotRuns/{run.pk}"),
        client.get(f"/v4/planSnapshotRuns?planId={plan.pk}"),
        client.get(f"/v4/jobs/{run.jobs.first().pk}"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert client.get("/v4/plans").json()["data"] == []
    assert client.get("/v4/jobs").json()["data"] == []


def test_the_owner_and_staff_see_their_own_role(
    plan: Plan, user: Any, staff_user: Any, api_client: Any
) -> None:
    assert api_client(user).get(f"/v4/plans/{plan.pk}").json()["role"] == "owner"
    assert api_client(staff_user).get(f"/v4/plans/{plan.pk}").json()["role"] == "staff"


def test_a_collaborator_cannot_run_a_plan_whose_flow_is_not_theirs(
    user: Any, editor: Any, api_client: Any, share: Callable[..., Any]
) -> None:
    from flows.services import flow_create
    from plans.services import plan_create

    flow = flow_create(
        owner=user,
        name="Sales report",
        definition={
            "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
            "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
            "outputs": [{"name": "report", "recipe": "main", "path": "out/report.csv"}],
        },
    )
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    share(plan, editor, "editor")

    refused = api_client(editor).post(f"/v4/plans/{plan.pk}/run")

    assert refused.status_code == 403
    assert "'Sales report'" in refused.json()["error"]["message"]
    assert not PlanRun.objects.exists()
    assert api_client(user).post(f"/v4/plans/{plan.pk}/run").status_code == 201


def test_plans_filter_keeps_owned_or_shared_plans_and_refuses_other_values(
    user: Any, other_user: Any, api_client: Any, share: Callable[..., Any]
) -> None:
    plan_create(owner=other_user, name="Own", tasks=[http_task("a")])
    shared = plan_create(owner=user, name="Shared", tasks=[http_task("a")])
    share(shared, other_user)
    client = api_client(other_user)

    def names(query: str) -> list[str]:
        return [p["name"] for p in client.get(f"/v4/plans{query}").json()["data"]]

    assert names("") == names("?plansFilter=all") == ["Own", "Shared"]
    assert names("?plansFilter=owned") == ["Own"]
    assert names("?plansFilter=shared") == ["Shared"]
    refused = client.get("/v4/plans?plansFilter=mine")
    assert refused.status_code == 400
    assert "plansFilter" in refused.json()["error"]["details"]
