"""Each audited action, done as a user would (API, pages), is recorded with its actor, object,
time and address; nothing secret reaches an event."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from audit.models import AuditAction, AuditEvent
from connections.models import Connection
from plans.models import Plan
from plans.services import plan_create
from runs import state
from runs.models import PlanRun, RunStatus
from runs.services import run_plan
from workspace.models import WorkspaceSettings

pytestmark = pytest.mark.django_db

HTTP_TASK = {"name": "Ping", "type": "http", "config": {"method": "GET", "url": "https://x.test/"}}


def last(action: str, model: type | None = None) -> AuditEvent:
    """The newest event of `action` (on an object of `model`, when given)."""
    events = AuditEvent.objects.filter(action=action).select_related("object_type")
    if model is not None:
        events = events.filter(object_type__model=model._meta.model_name)
    event = events.order_by("-id").first()
    assert event is not None, f"no {action} event was recorded"
    return event


def assert_event(event: AuditEvent, actor: Any, obj: Any, type_key: str) -> None:
    assert (event.actor, event.actor_name) == (actor, actor.get_username())
    assert (event.object_type_key, event.object_id) == (type_key, obj.pk)
    assert event.ip == "127.0.0.1"
    assert abs((timezone.now() - event.at).total_seconds()) < 60


def make_plan(owner: Any, name: str = "Nightly") -> Plan:
    return plan_create(owner=owner, name=name, tasks=[HTTP_TASK])


def test_plan_create_edit_and_delete_are_recorded(user: Any, api_client: Any) -> None:
    client = api_client(user)

    created = client.post("/v4/plans", {"name": "Nightly", "tasks": [HTTP_TASK]}, format="json")
    plan = Plan.objects.get(pk=created.json()["id"])
    client.patch(f"/v4/plans/{plan.pk}", {"name": "Hourly", "paused": True}, format="json")
    client.delete(f"/v4/plans/{plan.pk}")

    event = last(AuditAction.CREATED, Plan)
    assert_event(event, user, plan, "plans.plan")
    assert (event.object_label, event.details) == ("Nightly", {"tasks": 1})
    # The name goes through plan_update, the pause through plan_schedule_update.
    pause, rename = AuditEvent.objects.filter(action=AuditAction.EDITED).order_by("-id")
    assert_event(rename, user, plan, "plans.plan")
    assert (rename.object_label, rename.details) == ("Hourly", {"fields": ["name"]})
    assert_event(pause, user, plan, "plans.plan")
    assert pause.details == {"fields": ["paused"]}
    event = last(AuditAction.DELETED, Plan)
    assert_event(event, user, plan, "plans.plan")
    assert event.object_label == "Hourly"
    assert not Plan.objects.exists()  # the event outlives its object


def test_runs_started_from_the_api_and_the_page_say_their_source(
    user: Any, api_client: Any, client: Any
) -> None:
    plan = make_plan(user)
    client.force_login(user)

    api_run = api_client(user).post(f"/v4/plans/{plan.pk}/run").json()["planSnapshotRunId"]
    client.post(reverse("plans:run", args=[plan.pk]))

    manual, api = AuditEvent.objects.filter(action=AuditAction.RAN).order_by("-id")
    assert_event(api, user, plan, "plans.plan")
    assert api.details == {"run": api_run, "source": "api"}
    assert_event(manual, user, plan, "plans.plan")
    assert manual.details["source"] == "manual"


def test_scheduled_runs_are_left_to_the_run_history(user: Any) -> None:
    run_plan(plan=make_plan(user), source="schedule")

    assert not AuditEvent.objects.filter(action=AuditAction.RAN).exists()


def test_cancel_and_retry_are_recorded_on_the_plan_with_the_runs(
    user: Any, api_client: Any
) -> None:
    plan = make_plan(user)
    client = api_client(user)
    first = run_plan(plan=plan, source="manual")
    client.post(f"/v4/planSnapshotRuns/{first.pk}/cancel")
    second = run_plan(plan=plan, source="manual")
    state.run_end(second.pk, status=RunStatus.FAILED, error="boom")

    retried = client.post(f"/v4/planSnapshotRuns/{second.pk}/retry").json()

    event = last(AuditAction.CANCELED)
    assert_event(event, user, plan, "plans.plan")
    assert event.details == {"run": first.pk}
    event = last(AuditAction.RETRIED)
    assert_event(event, user, plan, "plans.plan")
    assert event.details == {"run": retried["planSnapshotRunId"], "retryOf": second.pk}
    assert PlanRun.objects.get(pk=retried["planSnapshotRunId"]).retry_of_id == second.pk


def test_share_and_unshare_name_the_collaborator(user: Any, viewer: Any, api_client: Any) -> None:
    plan = make_plan(user)
    client = api_client(user)

    client.post(
        f"/v4/plans/{plan.pk}/permissions", {"username": "viewer", "role": "editor"}, format="json"
    )
    client.delete(f"/v4/plans/{plan.pk}/permissions/{viewer.pk}")

    event = last(AuditAction.SHARED)
    assert_event(event, user, plan, "plans.plan")
    assert event.details == {"roles": {"viewer": "editor"}}
    event = last(AuditAction.UNSHARED)
    assert_event(event, user, plan, "plans.plan")
    assert event.details == {"user": "viewer"}


def test_export_and_import_are_recorded(user: Any, api_client: Any) -> None:
    plan = make_plan(user)
    client = api_client(user)

    package = client.get(f"/v4/plans/{plan.pk}/package").content
    imported = client.post("/v4/plans/package", {"file": io.BytesIO(package)}, format="multipart")

    assert_event(last(AuditAction.EXPORTED), user, plan, "plans.plan")
    new = Plan.objects.get(pk=imported.json()["id"])
    event = last(AuditAction.IMPORTED)
    assert_event(event, user, new, "plans.plan")
    assert event.details == {"flows": []}
    assert_event(last(AuditAction.CREATED, Plan), user, new, "plans.plan")


def test_connection_changes_are_recorded_without_their_secrets(user: Any, api_client: Any) -> None:
    client = api_client(user)
    body = {
        "name": "Lake",
        "kind": "s3",
        "settings": {"bucket": "lake", "endpointUrl": "https://me:hunter2@s3.example.test"},
        "secrets": {"accessKeyId": "AKIA-VISIBLE-NOWHERE", "secretAccessKey": "SECRET-42-xyz"},
    }

    connection_id = client.post("/v4/connections", body, format="json").json()["id"]
    client.patch(
        f"/v4/connections/{connection_id}",
        {"secrets": {"secretAccessKey": "ROTATED-SECRET-77"}},
        format="json",
    )
    connection = Connection.objects.get(pk=connection_id)
    client.delete(f"/v4/connections/{connection_id}")

    created = last(AuditAction.CREATED, Connection)
    assert_event(created, user, connection, "connections.connection")
    assert created.details == {
        "kind": "s3",
        "settings": {
            "bucket": "lake",
            "prefix": "",
            "region": "",
            "endpointUrl": "https://me:[hidden]@s3.example.test",
        },
        "secretFields": ["accessKeyId", "secretAccessKey"],
    }
    assert_event(last(AuditAction.EDITED, Connection), user, connection, "connections.connection")
    assert_event(last(AuditAction.DELETED, Connection), user, connection, "connections.connection")
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    for secret in ("hunter2", "AKIA-VISIBLE-NOWHERE", "SECRET-42-xyz", "ROTATED-SECRET-77"):
        assert secret not in stored


def test_workspace_settings_changes_are_recorded_with_before_and_after(
    staff_user: Any, api_client: Any
) -> None:
    api_client(staff_user).patch("/v4/workspaceSettings", {"sharingEnabled": False}, format="json")

    event = last(AuditAction.SETTINGS_CHANGED)
    assert_event(event, staff_user, WorkspaceSettings.objects.get(), "workspace.workspacesettings")
    assert event.details["before"]["sharing_enabled"] is True
    assert event.details["after"]["sharing_enabled"] is False


def test_tokens_made_and_revoked_on_the_tokens_page_are_recorded(user: Any, client: Any) -> None:
    client.force_login(user)

    page = client.post(reverse("api_tokens"), {"name": "laptop"})
    token = ApiToken.objects.get(name="laptop")
    client.post(reverse("api_token_revoke", args=[token.pk]))

    event = last(AuditAction.CREATED, ApiToken)
    assert_event(event, user, token, "api.apitoken")
    assert event.object_label == "laptop (owner)"
    assert_event(last(AuditAction.REVOKED), user, token, "api.apitoken")
    raw = page.context["raw"]
    assert raw not in json.dumps(list(AuditEvent.objects.values()), default=str)


def test_a_failed_login_is_recorded_with_the_username_tried_and_no_password(
    user: Any, client: Any
) -> None:
    client.post(reverse("login"), {"username": "owner", "password": "guess-0001"})
    client.post(reverse("login"), {"username": "nobody", "password": "guess-0002"})

    unknown, known = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("-id")
    assert (known.actor, known.actor_name, known.object_label) == (None, "", "owner")
    assert (known.object_type_key, known.object_id) == ("auth.user", user.pk)
    assert known.ip == "127.0.0.1"
    assert (unknown.object_label, unknown.object_type, unknown.object_id) == ("nobody", None, None)
    assert "guess-000" not in json.dumps(list(AuditEvent.objects.values()), default=str)


def test_staff_revoking_a_token_in_the_admin_is_recorded(
    user: Any, staff_user: Any, client: Any
) -> None:
    from api.services import token_create

    token, _raw = token_create(user=user, name="ci")
    client.force_login(staff_user)

    client.post(reverse("admin:api_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert not ApiToken.objects.filter(pk=token.pk).exists()
    event = last(AuditAction.REVOKED)
    assert_event(event, staff_user, token, "api.apitoken")
    assert event.object_label == "ci (owner)"
