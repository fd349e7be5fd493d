"""Sharing on the pages: Plan View's Share section, the plans list, and each role's controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from plans.models import Plan, PlanShare, Trigger
from runs.models import PlanRun, RunSource, RunStatus
from runs.services import run_plan
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db


def page(client: Any, plan: Plan) -> str:
    response = client.get(reverse("plans:detail", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- the Share section -------------------------------------------------------------------


def test_the_owner_shares_with_a_pasted_list_and_sees_the_collaborators(
    client: Any, user: Any, plan: Plan, viewer: Any, editor: Any
) -> None:
    client.force_login(user)
    assert 'id="share-button"' in page(client, plan)

    response = client.post(
        reverse("plans:share", args=[plan.pk]),
        {"users": "viewer@example.com, editor", "role": "editor"},
        follow=True,
    )

    body = response.content.decode()
    assert "Shared with viewer, editor (editor)." in body
    assert {(s.user.username, s.role) for s in PlanShare.objects.all()} == {
        ("viewer", "editor"),
        ("editor", "editor"),
    }
    assert body.count("Remove</button>") == 2


def test_an_unknown_name_is_reported_and_nothing_is_shared(
    client: Any, user: Any, plan: Plan, viewer: Any
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("plans:share", args=[plan.pk]),
        {"users": "viewer, ghost@example.com", "role": "viewer"},
        follow=True,
    )

    assert (
        "No user with the email or name &#x27;ghost@example.com&#x27;." in response.content.decode()
    )
    assert not PlanShare.objects.exists()


def test_the_owner_removes_a_collaborator(
    client: Any, user: Any, plan: Plan, viewer: Any, share: Callable[..., Any]
) -> None:
    share(plan, viewer)
    client.force_login(user)

    response = client.post(reverse("plans:unshare", args=[plan.pk, viewer.pk]))

    assert response.status_code == 302 and response["Location"].endswith("#sharing")
    assert not PlanShare.objects.exists()


def test_collaborators_see_no_share_section_and_cannot_post_to_it(
    client: Any,
    plan: Plan,
    viewer: Any,
    editor: Any,
    other_user: Any,
    share: Callable[..., Any],
) -> None:
    share(plan, viewer)
    share(plan, editor, "editor")

    for who in (viewer, editor):
        client.force_login(who)
        assert 'id="sharing"' not in page(client, plan)
        shared = client.post(reverse("plans:share", args=[plan.pk]), {"users": "outsider"})
        removed = client.post(reverse("plans:unshare", args=[plan.pk, viewer.pk]))
        assert (shared.status_code, removed.status_code) == (403, 403)
        assert "owner or staff" in shared.content.decode()
    client.force_login(other_user)
    assert client.post(reverse("plans:share", args=[plan.pk]), {"users": "x"}).status_code == 404
    assert PlanShare.objects.count() == 2


def test_with_sharing_off_the_form_is_hidden_and_existing_collaborators_stay_removable(
    client: Any, user: Any, plan: Plan, viewer: Any, editor: Any, share: Callable[..., Any]
) -> None:
    client.force_login(user)
    workspace_settings_update(sharing_enabled=False)
    assert 'id="sharing"' not in page(client, plan)

    workspace_settings_update(sharing_enabled=True)
    share(plan, viewer)
    workspace_settings_update(sharing_enabled=False)
    body = page(client, plan)
    refused = client.post(reverse("plans:share", args=[plan.pk]), {"users": "editor"})

    assert 'id="share-button"' not in body
    assert "Sharing is turned off" in body and "Remove</button>" in body
    assert refused.status_code == 403
    assert "Sharing is turned off in this workspace&#x27;s settings." in refused.content.decode()
    assert list(PlanShare.objects.values_list("user__username", flat=True)) == ["viewer"]


# --- what each role sees and may do -------------------------------------------------------


def test_the_list_marks_plans_shared_with_you(
    client: Any, user: Any, plan: Plan, viewer: Any, other_user: Any, share: Callable[..., Any]
) -> None:
    from plans.services import plan_create

    plan_create(
        owner=other_user,
        name="Someone else's",
        tasks=[{"name": "a", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}],
    )
    share(plan, viewer)
    client.force_login(viewer)

    body = client.get(reverse("plans:list")).content.decode()

    assert "Nightly export" in body and "Shared with you (viewer)" in body
    assert "Someone else" not in body
    client.force_login(user)
    assert "Shared with you" not in client.get(reverse("plans:list")).content.decode()


def test_a_viewer_sees_the_plan_and_its_runs_without_edit_controls(
    client: Any,
    plan: Plan,
    viewer: Any,
    make_trigger: Callable[..., Trigger],
    share: Callable[..., Any],
) -> None:
    make_trigger()
    run = run_plan(plan=plan, source=RunSource.MANUAL)
    share(plan, viewer)
    client.force_login(viewer)

    body = page(client, plan)
    run_page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    job = run.jobs.get()

    assert "Shared with you (viewer)" in body and 'id="run-now"' in body
    assert 'id="add-trigger"' not in body and ">Disable<" not in body
    assert 'id="cancel-run"' not in run_page
    assert client.get(reverse("runs:job", args=[job.pk])).status_code == 200
    assert f"#{job.pk}" in client.get(reverse("runs:jobs")).content.decode()


def test_a_viewer_can_run_but_not_change_triggers_or_cancel(
    client: Any,
    plan: Plan,
    viewer: Any,
    make_trigger: Callable[..., Trigger],
    share: Callable[..., Any],
) -> None:
    trigger = make_trigger()
    active = run_plan(plan=plan, source=RunSource.MANUAL)
    share(plan, viewer)
    client.force_login(viewer)

    refused = [
        client.get(reverse("plans:trigger_add", args=[plan.pk])),
        client.post(reverse("plans:trigger_toggle", args=[trigger.pk])),
        client.get(reverse("plans:trigger_edit", args=[trigger.pk])),
        client.post(reverse("plans:trigger_delete", args=[trigger.pk])),
        client.post(reverse("runs:cancel", args=[active.pk])),
    ]
    ran = client.post(reverse("plans:run", args=[plan.pk]))

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "editor role" in refused[0].content.decode()
    assert ran.status_code == 302
    trigger.refresh_from_db()
    active.refresh_from_db()
    assert trigger.enabled and active.status == RunStatus.QUEUED
    assert PlanRun.objects.filter(requested_by=viewer).count() == 1


def test_a_viewer_retries_a_failed_run(
    client: Any, plan: Plan, viewer: Any, share: Callable[..., Any]
) -> None:
    failed = run_plan(plan=plan, source=RunSource.MANUAL)
    PlanRun.objects.filter(pk=failed.pk).update(status=RunStatus.FAILED)
    share(plan, viewer)
    client.force_login(viewer)

    assert 'id="retry-run"' in client.get(reverse("runs:detail", args=[failed.pk])).content.decode()
    response = client.post(reverse("runs:retry", args=[failed.pk]))

    assert response.status_code == 302
    assert PlanRun.objects.filter(retry_of=failed, requested_by=viewer).exists()


def test_an_editor_changes_triggers_and_cancels_runs(
    client: Any,
    plan: Plan,
    editor: Any,
    make_trigger: Callable[..., Trigger],
    share: Callable[..., Any],
) -> None:
    trigger = make_trigger()
    active = run_plan(plan=plan, source=RunSource.MANUAL)
    share(plan, editor, "editor")
    client.force_login(editor)

    body = page(client, plan)
    toggled = client.post(reverse("plans:trigger_toggle", args=[trigger.pk]))
    canceled = client.post(reverse("runs:cancel", args=[active.pk]))

    assert 'id="add-trigger"' in body and 'id="sharing"' not in body
    assert (toggled.status_code, canceled.status_code) == (302, 302)
    trigger.refresh_from_db()
    active.refresh_from_db()
    assert not trigger.enabled and active.status == RunStatus.CANCELED


def test_an_outsider_gets_404_on_every_page_of_a_shared_plan(
    client: Any,
    plan: Plan,
    viewer: Any,
    other_user: Any,
    make_trigger: Callable[..., Trigger],
    share: Callable[..., Any],
) -> None:
    trigger = make_trigger()
    run = run_plan(plan=plan, source=RunSource.MANUAL)
    share(plan, viewer)
    client.force_login(other_user)

    answers = [
        client.get(reverse("plans:detail", args=[plan.pk])),
        client.post(reverse("plans:run", args=[plan.pk])),
        client.get(reverse("runs:detail", args=[run.pk])),
        client.get(reverse("runs:job", args=[run.jobs.get().pk])),
        client.post(reverse("plans:trigger_toggle", args=[trigger.pk])),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)


def test_a_viewer_reads_the_plan_parameters_but_only_an_editor_sets_them(
    client: Any, user: Any, viewer: Any, editor: Any, share: Callable[..., Any]
) -> None:
    from flows.services import flow_create
    from plans.services import plan_create

    flow = flow_create(
        owner=user,
        name="Sales report",
        definition={
            "parameters": [{"name": "limit_to", "type": "number", "default": 10}],
            "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
            "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
            "outputs": [{"name": "report", "recipe": "main", "path": "out/report.csv"}],
        },
    )
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    share(plan, viewer)
    share(plan, editor, "editor")
    url = reverse("flows:plan_parameters", args=[plan.pk])
    data = {"flow": flow.pk, "name": "limit_to", "value": "5", "action": "set"}

    client.force_login(viewer)
    viewer_body = page(client, plan)
    refused = client.post(url, data)
    client.force_login(editor)
    editor_body = page(client, plan)
    accepted = client.post(url, data)

    assert "limit_to" in viewer_body and 'name="value"' not in viewer_body
    assert "This plan runs flows you have no access to (Sales report)" in viewer_body
    assert 'id="run-now" disabled' in viewer_body
    assert refused.status_code == 403
    assert 'name="value"' in editor_body
    assert accepted.status_code == 302
    plan.refresh_from_db()
    assert plan.parameter_overrides == {"Sales report": {"limit_to": 5}}
