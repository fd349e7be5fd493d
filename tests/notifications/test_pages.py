"""Where people edit plan emails: Plan View's section and form, the plan's admin page; and
Run Details listing the mails a run sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from notifications.models import PlanEmailNotifications, PlanRunEmail
from notifications.services import plan_notifications_get
from runs.services import run_plan
from tests.notifications.emails_helpers import subscribe
from tests.plans.test_admin import change_data

pytestmark = pytest.mark.django_db


def form(enabled: bool = True, **lists: str) -> dict[str, Any]:
    data = {f"emails_{name}": value for name, value in lists.items()}
    if enabled:
        data["emails_enabled"] = "on"
    return data


def test_plan_view_shows_the_switch_and_the_current_lists(
    client: Any, user: Any, plan: Any
) -> None:
    subscribe(plan, on_failure=["ops@example.com", "lead@example.com"])
    client.force_login(user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    assert 'id="emails"' in page
    assert "Send email notifications when this plan runs" in page
    assert 'name="emails_enabled" id="id_emails_enabled" checked' in page
    assert "ops@example.com\nlead@example.com</textarea>" in page


def test_the_owner_saves_the_switch_and_lists_from_plan_view(
    client: Any, user: Any, plan: Any
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("plans:emails", args=[plan.pk]),
        form(
            on_success="a@example.com",
            on_failure="ops@example.com, b@example.com\nops@example.com",
            on_any="",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[plan.pk]) + "#emails"
    row = PlanEmailNotifications.objects.get(plan=plan)
    assert (row.enabled, row.on_success, row.on_failure, row.on_any) == (
        True,
        ["a@example.com"],
        ["ops@example.com", "b@example.com"],
        [],
    )


def test_a_bad_address_is_named_on_its_field_and_nothing_is_saved(
    client: Any, user: Any, plan: Any
) -> None:
    subscribe(plan, enabled=False, on_any=["old@example.com"])
    client.force_login(user)

    response = client.post(
        reverse("plans:emails", args=[plan.pk]),
        form(on_success="a@example.com", on_failure="ops@example.com\nnot-an-address", on_any=""),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert (
        'id="error-emails_on_failure">&#x27;not-an-address&#x27; is not a valid email address.'
        in page
    )
    row = plan_notifications_get(plan)
    assert (row.enabled, row.on_success, row.on_any) == (False, [], ["old@example.com"])


def test_an_outsider_can_neither_see_nor_change_a_plans_emails(
    client: Any, other_user: Any, plan: Any
) -> None:
    client.force_login(other_user)
    url = reverse("plans:emails", args=[plan.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, form(on_any="spy@example.com")).status_code == 404
    assert not PlanEmailNotifications.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Any, plan: Any) -> None:
    response = client.post(reverse("plans:emails", args=[plan.pk]), form(on_any="a@example.com"))

    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not PlanEmailNotifications.objects.exists()


def test_staff_edit_plan_emails_in_the_admin_fieldset(
    client: Any, staff_user: Any, plan: Any
) -> None:
    client.force_login(staff_user)
    url = reverse("admin:plans_plan_change", args=[plan.pk])
    subscribe(plan, on_failure=["ops@example.com"])
    page = client.get(url).content.decode()
    assert "Email notifications" in page and "ops@example.com</textarea>" in page
    data = {
        **change_data(plan, staff_user),
        **form(on_failure="ops@example.com", on_any="audit@example.com"),
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    row = plan_notifications_get(plan)
    assert (row.enabled, row.on_failure, row.on_any) == (
        True,
        ["ops@example.com"],
        ["audit@example.com"],
    )


def test_a_bad_address_in_the_admin_is_an_error_on_its_field_and_saves_nothing(
    client: Any, staff_user: Any, plan: Any
) -> None:
    client.force_login(staff_user)
    data = {**{**change_data(plan, staff_user), "name": "Renamed"}, **form(on_any="nope@")}

    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "emails_on_any": ["'nope@' is not a valid email address."]
    }
    plan.refresh_from_db()
    assert plan.name == "Nightly export"
    assert not PlanEmailNotifications.objects.exists()


def test_an_admin_edit_of_other_fields_does_not_rewrite_the_emails(
    client: Any, staff_user: Any, plan: Any
) -> None:
    before = subscribe(plan, on_any=["audit@example.com"])
    client.force_login(staff_user)
    data = {**change_data(plan, staff_user), "name": "Renamed"}
    data.update(form(on_any="audit@example.com"))

    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)

    assert response.status_code == 302
    row = plan_notifications_get(plan)
    assert (row.enabled, row.on_any, row.updated_at) == (
        True,
        ["audit@example.com"],
        before.updated_at,
    )


def test_run_details_list_the_mails_sent_and_failed(client: Any, user: Any, plan: Any) -> None:
    run = run_plan(plan=plan, source="manual")
    PlanRunEmail.objects.create(run=run, address="ops@example.com", status="sent", attempts=1)
    PlanRunEmail.objects.create(
        run=run,
        address="x@example.com",
        status="failed",
        attempts=3,
        error="SMTPRecipientsRefused: 550",
    )
    client.force_login(user)

    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()

    assert 'id="run-emails"' in page
    assert "ops@example.com" in page and "SMTPRecipientsRefused: 550" in page


def test_viewers_neither_see_nor_change_the_email_settings(
    client: Any, user: Any, other_user: Any, share: Any
) -> None:
    from plans.services import plan_create

    plan = plan_create(
        owner=user,
        name="Shared",
        tasks=[{"name": "a", "type": "http", "config": {"url": "https://example.com/"}}],
    )
    share(plan, other_user)
    client.force_login(other_user)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    response = client.post(
        reverse("plans:emails", args=[plan.pk]),
        {"emails_enabled": "on", "emails_on_failure": "me@example.com"},
    )

    assert 'id="emails"' not in page
    assert response.status_code == 403
    assert not PlanEmailNotifications.objects.filter(plan=plan, enabled=True).exists()
