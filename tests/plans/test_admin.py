"""The plan editor in the admin: tasks inline, validated per type and saved through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from connections.models import Secret
from connections.resolve import resolve_secret
from plans.models import Plan, PlanTask
from plans.services import plan_create
from runs.models import PlanRun, RunSource

pytestmark = pytest.mark.django_db

ADD_URL = "admin:plans_plan_add"


def task_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "position": "",
        "name": "Call the API",
        "ref": "",
        "type": "http",
        "run_when": "onSuccess",
        "upstream_refs": "",
        "http_method": "POST",
        "http_url": "https://example.com/hook",
        "http_headers": "Content-Type: application/json\nX-Team: data",
        "http_body": '{"go": true}',
        "http_timeout_seconds": "30",
        "http_retries": "0",
        "http_validate_ssl": "on",
        "http_success_codes": "2xx",
        "http_secret_key": "",
        "config_json": "",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def form_data(
    tasks: list[dict[str, Any]], *, owner: Any, initial: int = 0, **plan: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Nightly export",
        "description": "Pushes the export",
        "owner": owner.pk,
        "overlap_policy": "allow",
        "pause_reason": "",
        "tasks-TOTAL_FORMS": str(len(tasks)),
        "tasks-INITIAL_FORMS": str(initial),
        "tasks-MIN_NUM_FORMS": "0",
        "tasks-MAX_NUM_FORMS": "1000",
    }
    data.update(plan)
    for index, task in enumerate(tasks):
        for key, value in task.items():
            data[f"tasks-{index}-{key}"] = value
    return data


@pytest.fixture
def admin_client(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


def errors_of(response: Any) -> dict[str, Any]:
    """Field errors of each inline task form, and the formset's own errors."""
    formset = response.context["inline_admin_formsets"][0].formset
    return {
        "forms": [dict(form.errors) for form in formset.forms],
        "non_form": list(formset.non_form_errors()),
        "plan": dict(response.context["adminform"].form.errors),
    }


def test_the_add_page_shows_the_task_editor(admin_client: Any) -> None:
    page = admin_client.get(reverse(ADD_URL)).content.decode()

    for field in ("tasks-0-http_url", "tasks-0-http_method", "tasks-0-http_secret_key"):
        assert f'name="{field}"' in page


def test_it_creates_a_plan_with_tasks_through_the_form(admin_client: Any, staff_user: Any) -> None:
    data = form_data(
        [
            task_fields(name="Fetch orders", position="2", http_secret_key="s3cr3t-key"),
            task_fields(
                name="Warm cache",
                ref="warm",
                position="1",
                http_method="GET",
                http_body="",
                http_headers="",
                http_success_codes="200, 204, 3xx",
                http_timeout_seconds="5",
                http_retries="2",
                http_validate_ssl=None,
            ),
            task_fields(
                name="Tell failure",
                position="3",
                run_when="onFailure",
                upstream_refs="warm, fetch_orders",
            ),
        ],
        owner=staff_user,
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 302, errors_of(response)
    plan = Plan.objects.get()
    assert plan.name == "Nightly export" and plan.owner == staff_user
    warm, fetch, tell = plan.tasks.order_by("position")
    assert (warm.position, warm.ref, fetch.ref, tell.ref) == (
        1,
        "warm",
        "fetch_orders",
        "tell_failure",
    )
    assert warm.config == {
        "method": "GET",
        "url": "https://example.com/hook",
        "headers": {},
        "body": "",
        "timeoutSeconds": 5,
        "retries": 2,
        "validateSsl": False,
        "successCodes": [200, 204, "3xx"],
    }
    assert fetch.config["headers"] == {"Content-Type": "application/json", "X-Team": "data"}
    assert fetch.config["body"] == '{"go": true}'
    assert "secretKey" not in fetch.config
    assert resolve_secret(fetch.secrets["secretKey"]) == "s3cr3t-key"
    assert tell.run_when == "onFailure" and tell.upstream == ["warm", "fetch_orders"]


def test_the_change_page_never_shows_the_secret_key(admin_client: Any, staff_user: Any) -> None:
    plan = plan_create(
        owner=staff_user,
        name="Signed",
        tasks=[
            {
                "name": "Signed call",
                "type": "http",
                "config": {"method": "GET", "url": "https://example.com/", "secretKey": "k-123456"},
            }
        ],
    )

    page = admin_client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()

    assert "•••• set" in page
    assert "k-123456" not in page


def change_data(
    plan: Plan, staff_user: Any, plan_fields: dict[str, Any] | None = None, **task_overrides: Any
) -> dict[str, Any]:
    task = plan.tasks.get()
    fields = task_fields(
        id=str(task.pk),
        plan=str(plan.pk),
        name=task.name,
        ref=task.ref,
        http_method=task.config["method"],
        http_url=task.config["url"],
        http_headers="",
        http_body="",
    )
    fields.update(task_overrides)
    return form_data([fields], owner=staff_user, initial=1, name=plan.name, **(plan_fields or {}))


def signed_plan(owner: Any) -> Plan:
    return plan_create(
        owner=owner,
        name="Signed",
        tasks=[
            {
                "name": "Signed call",
                "type": "http",
                "config": {"method": "GET", "url": "https://example.com/", "secretKey": "old-key"},
            }
        ],
    )


def test_an_edit_without_a_new_key_keeps_the_secret(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)
    secret_id = plan.tasks.get().secrets["secretKey"]

    response = admin_client.post(
        reverse("admin:plans_plan_change", args=[plan.pk]),
        change_data(plan, staff_user, http_url="https://example.com/v2"),
    )

    assert response.status_code == 302, errors_of(response)
    task = plan.tasks.get()
    assert task.config["url"] == "https://example.com/v2"
    assert task.secrets["secretKey"] == secret_id


def test_the_secret_key_can_be_replaced_or_removed(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)
    url = reverse("admin:plans_plan_change", args=[plan.pk])

    admin_client.post(url, change_data(plan, staff_user, http_secret_key="new-key"))
    assert resolve_secret(plan.tasks.get().secrets["secretKey"]) == "new-key"

    admin_client.post(url, change_data(plan, staff_user, http_secret_key_remove="on"))
    assert "secretKey" not in plan.tasks.get().secrets


def test_tasks_can_be_reordered_and_deleted(admin_client: Any, staff_user: Any) -> None:
    plan = plan_create(
        owner=staff_user,
        name="Three",
        tasks=[
            {"name": n, "type": "http", "config": {"url": f"https://example.com/{n}"}}
            for n in ("a", "b", "c")
        ],
    )
    a, b, c = plan.tasks.order_by("position")
    rows = []
    for task, position, delete in ((a, "3", False), (b, "1", True), (c, "2", False)):
        rows.append(
            task_fields(
                id=str(task.pk),
                plan=str(plan.pk),
                name=task.name,
                ref=task.ref,
                position=position,
                http_method="GET",
                http_url=task.config["url"],
                http_headers="",
                http_body="",
                DELETE="on" if delete else None,
            )
        )

    response = admin_client.post(
        reverse("admin:plans_plan_change", args=[plan.pk]),
        form_data(rows, owner=staff_user, initial=3, name="Three"),
    )

    assert response.status_code == 302, errors_of(response)
    assert list(plan.tasks.order_by("position").values_list("pk", "position")) == [
        (c.pk, 1),
        (a.pk, 2),
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"http_url": "not a url"}, "http_url", "Enter a valid URL."),
        ({"http_method": "FETCH"}, "http_method", "FETCH"),
        ({"http_timeout_seconds": "-5"}, "http_timeout_seconds", "whole number from 1 to 3600"),
        ({"http_headers": "Content-Type application/json"}, "http_headers", "Name: value"),
        ({"http_headers": "Bad Name: x"}, "http_headers", "not a valid header name"),
        ({"http_method": "GET", "http_body": "x"}, "http_body", "only for POST, PUT, PATCH"),
        ({"http_success_codes": "200, 7xx"}, "http_success_codes", "7xx"),
        ({"ref": "Bad Ref"}, "ref", "lowercase"),
        ({"upstream_refs": "nowhere"}, "upstream_refs", "No task with ref 'nowhere'"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_task_input_shows_an_error_on_the_field_and_saves_nothing(
    admin_client: Any, staff_user: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = admin_client.post(
        reverse(ADD_URL), form_data([task_fields(**overrides)], owner=staff_user)
    )

    assert response.status_code == 200
    errors = errors_of(response)
    assert any(message in text for text in errors["forms"][0].get(field, [])), errors
    assert not Plan.objects.exists()
    assert not PlanTask.objects.exists()
    assert not Secret.objects.exists()


def test_a_plan_without_tasks_is_refused(admin_client: Any, staff_user: Any) -> None:
    response = admin_client.post(reverse(ADD_URL), form_data([], owner=staff_user))

    assert response.status_code == 200
    assert "A plan needs at least one task." in errors_of(response)["non_form"]
    assert not Plan.objects.exists()


def test_a_later_upstream_is_refused_on_the_task(admin_client: Any, staff_user: Any) -> None:
    data = form_data(
        [
            task_fields(name="First", upstream_refs="second"),
            task_fields(name="Second"),
        ],
        owner=staff_user,
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 200
    assert "upstream tasks must come earlier" in " ".join(
        errors_of(response)["forms"][0]["upstream_refs"]
    )
    assert not Plan.objects.exists()


def test_a_bad_edit_leaves_the_plan_as_it_was(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)
    before = plan.tasks.get().config

    response = admin_client.post(
        reverse("admin:plans_plan_change", args=[plan.pk]),
        change_data(plan, staff_user, http_url="ftp://nope", http_secret_key="new-key"),
    )

    assert response.status_code == 200
    assert plan.tasks.get().config == before
    assert Secret.objects.count() == 1


def test_the_run_now_action_starts_a_run(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)

    response = admin_client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "run_now", "_selected_action": [str(plan.pk)]},
    )

    run = PlanRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("runs:detail", args=[run.pk])
    assert (run.plan, run.source, run.requested_by) == (plan, RunSource.MANUAL, staff_user)


def test_the_run_now_action_on_several_plans_starts_one_run_each(
    admin_client: Any, staff_user: Any
) -> None:
    plans = [signed_plan(staff_user), signed_plan(staff_user)]

    admin_client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "run_now", "_selected_action": [str(p.pk) for p in plans]},
    )

    assert sorted(PlanRun.objects.values_list("plan_id", flat=True)) == sorted(p.pk for p in plans)


def test_the_change_page_run_now_button_starts_a_run(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)
    page = admin_client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    run_url = reverse("admin:plans_plan_run", args=[plan.pk])
    assert f'action="{run_url}"' in page

    assert admin_client.get(run_url).status_code == 405
    response = admin_client.post(run_url)

    run = PlanRun.objects.get()
    assert response["Location"] == reverse("runs:detail", args=[run.pk])


def test_runs_and_jobs_are_read_only_in_the_admin(admin_client: Any, staff_user: Any) -> None:
    plan = signed_plan(staff_user)
    admin_client.post(reverse("admin:plans_plan_run", args=[plan.pk]))
    run = PlanRun.objects.get()
    job = run.jobs.get()

    assert admin_client.get(reverse("admin:runs_planrun_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:runs_job_changelist") + "?status=pending").status_code
        == 200
    )
    page = admin_client.get(reverse("admin:runs_job_change", args=[job.pk])).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.get(reverse("admin:runs_planrun_add")).status_code == 403
    assert (
        "old-key"
        not in admin_client.get(
            reverse("admin:runs_planrun_change", args=[run.pk])
        ).content.decode()
    )


def test_the_cancel_action_cancels_active_runs_and_leaves_ended_ones(
    admin_client: Any, staff_user: Any
) -> None:
    plan = signed_plan(staff_user)
    for _ in range(2):
        admin_client.post(reverse("admin:plans_plan_run", args=[plan.pk]))
    active, ended = PlanRun.objects.order_by("id")
    PlanRun.objects.filter(pk=ended.pk).update(status="succeeded")

    response = admin_client.post(
        reverse("admin:runs_planrun_changelist"),
        {"action": "cancel_runs", "_selected_action": [str(active.pk), str(ended.pk)]},
        follow=True,
    )

    assert PlanRun.objects.get(pk=active.pk).status == "canceled"
    assert PlanRun.objects.get(pk=ended.pk).status == "succeeded"
    assert "already ended" in response.content.decode()


def test_types_without_their_own_fields_take_json_config_with_errors_on_it(
    admin_client: Any, staff_user: Any
) -> None:
    not_json = task_fields(type="delete", config_json="{not json")
    bad_path = task_fields(type="delete", config_json='{"path": "../../etc", "target": "file"}')

    first = admin_client.post(reverse(ADD_URL), form_data([not_json], owner=staff_user))
    second = admin_client.post(reverse(ADD_URL), form_data([bad_path], owner=staff_user))

    assert "Not valid JSON" in " ".join(errors_of(first)["forms"][0]["config_json"])
    messages = " ".join(errors_of(second)["forms"][0]["config_json"])
    assert "connection:" in messages and "path:" in messages
    assert not Plan.objects.exists()


def test_a_reference_to_a_later_task_is_refused_on_its_field(
    admin_client: Any, staff_user: Any
) -> None:
    data = form_data(
        [
            task_fields(name="First", http_url="https://example.com/{{$second.status}}"),
            task_fields(name="Second", ref="second"),
        ],
        owner=staff_user,
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 200
    assert errors_of(response)["forms"][0].get("http_url"), errors_of(response)
    assert not Plan.objects.exists()


def test_pausing_and_unpausing_go_through_the_schedule_rules(
    admin_client: Any, staff_user: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from plans.models import Trigger
    from plans.triggers.services import trigger_create

    plan = signed_plan(staff_user)
    trigger = trigger_create(plan=plan, name="hourly", kind="interval", every=1, unit="hours")
    url = reverse("admin:plans_plan_change", args=[plan.pk])

    response = admin_client.post(
        url, change_data(plan, staff_user, {"paused": "on", "pause_reason": "maintenance"})
    )
    assert response.status_code == 302, errors_of(response)
    plan.refresh_from_db()
    assert (plan.paused, plan.pause_reason) == (True, "maintenance")

    long_ago = timezone.now() - timedelta(days=2)
    Trigger.objects.filter(pk=trigger.pk).update(handled_until=long_ago)
    before = timezone.now()
    admin_client.post(url, change_data(plan, staff_user, {"pause_reason": "maintenance"}))

    plan.refresh_from_db()
    trigger.refresh_from_db()
    assert (plan.paused, plan.pause_reason) == (False, "maintenance")
    # Slots missed while paused are not caught up.
    assert trigger.handled_until >= before


@pytest.mark.django_db
def test_the_test_button_sends_the_saved_request_once_and_makes_no_run(
    client: Any, staff_user: Any, http_peer: Any
) -> None:
    from plans.services import plan_create
    from runs.models import PlanRun

    http_peer.route("/hook", status=202, body=b"accepted!")
    plan = plan_create(
        owner=staff_user,
        name="Tested",
        tasks=[
            {
                "name": "hook",
                "type": "http",
                "config": {
                    "method": "POST",
                    "url": http_peer.url("/hook"),
                    "body": "{{$plan.name}}",
                    "secretKey": "s3cr3t-key",
                },
            }
        ],
    )
    task = plan.tasks.get()
    client.force_login(staff_user)

    change_page = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    response = client.post(reverse("admin:plans_plan_test_task", args=[plan.pk, task.pk]))

    page = response.content.decode()
    assert "Send test request" in change_page
    assert response.status_code == 200
    assert "202" in page and "accepted!" in page
    assert "s3cr3t-key" not in page
    [request] = http_peer.requests
    assert request.body == b"Sample plan"
    assert request.header("X-Plans-Signature")
    assert PlanRun.objects.count() == 0
