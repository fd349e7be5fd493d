"""The mails an ended run sends: who gets one, what it says, and mail trouble never failing a run.

Mail goes over real SMTP to the test's own server (`mail_server`); the mail task enqueued when
the run ends runs in this process (`tasks_run_here`).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from notifications.models import PlanRunEmail, RunEmailStatus
from notifications.sending import send_run_emails
from runs.models import PlanRun, RunStatus
from runs.services import run_cancel, run_plan
from tests.fakes._net import free_port
from tests.notifications.emails_helpers import (
    HEADER_SECRET,
    SIGNING_SECRET,
    emails_plan,
    end_run,
    subscribe,
)
from tests.plan_fixtures import header_of, text_of

pytestmark = pytest.mark.django_db
__all__ = ["end_run"]  # a fixture


@pytest.fixture
def plan(user: Any) -> Any:
    return emails_plan(user)


def envelopes(mail_server: Any) -> list[list[str]]:
    return [mail.rcpt_tos for mail in mail_server.received]


def test_a_failed_run_mails_the_failure_and_any_lists_once_per_person_with_the_run_details(
    plan: Any, user: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    subscribe(
        plan,
        on_success=["happy@example.com"],
        on_failure=["ops@example.com", "Lead@example.com"],
        on_any=["lead@example.com", "audit@example.com"],
    )
    run = run_plan(plan=plan, source="manual", requested_by=user)

    run = end_run(run, ("failed", "HTTP 500 Internal Server Error"), ("skipped", ""))

    assert run.status == RunStatus.FAILED
    assert envelopes(mail_server) == [
        ["ops@example.com"],
        ["Lead@example.com"],
        ["audit@example.com"],
    ]
    mail = mail_server.messages[0]
    assert mail["Subject"] == f"Plan 'Nightly export' failed (run #{run.pk})"
    assert mail["To"] == "ops@example.com"
    body = text_of(mail)
    run_url = f"{settings.SITE_URL}/runs/{run.pk}/"
    for expected in (
        f"Plan:     Nightly export (#{plan.pk})",
        f"Run:      #{run.pk}  {run_url}",
        "Status:   failed",
        "Error:    Task 'Export' failed: HTTP 500 Internal Server Error",
        "Source:   manual, by owner",
        "1. Export (http): failed\n   Error: HTTP 500 Internal Server Error",
        "2. Notify (http): skipped",
        "Duration: ",
        "Stop these emails: http",
    ):
        assert expected in body
    assert HEADER_SECRET not in body and SIGNING_SECRET not in body
    assert header_of(mail, "List-Unsubscribe").startswith(
        f"<{settings.SITE_URL}/plans/emails/unsubscribe/"
    )
    records = PlanRunEmail.objects.filter(run=run).order_by("id")
    assert [(r.address, r.status, r.attempts) for r in records] == [
        ("ops@example.com", "sent", 1),
        ("Lead@example.com", "sent", 1),
        ("audit@example.com", "sent", 1),
    ]


def test_each_recipient_gets_their_own_unsubscribe_link(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    subscribe(plan, on_success=["a@example.com", "b@example.com"])

    end_run(run_plan(plan=plan, source="api"), ("succeeded", ""), ("succeeded", ""))

    links = [header_of(mail, "List-Unsubscribe") for mail in mail_server.messages]
    assert len(links) == 2 and links[0] != links[1]
    assert all(
        link.strip("<>") in text_of(m) for link, m in zip(links, mail_server.messages, strict=True)
    )


def test_a_succeeded_run_mails_the_success_and_any_lists(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    subscribe(
        plan,
        on_success=["happy@example.com"],
        on_failure=["ops@example.com"],
        on_any=["audit@example.com", "HAPPY@example.com"],
    )

    run = end_run(run_plan(plan=plan, source="api"), ("succeeded", ""), ("succeeded", ""))

    assert envelopes(mail_server) == [["happy@example.com"], ["audit@example.com"]]
    assert mail_server.messages[0]["Subject"] == f"Plan 'Nightly export' succeeded (run #{run.pk})"
    body = text_of(mail_server.messages[0])
    assert "Source:   API" in body
    assert "1. Export (http): succeeded\n2. Notify (http): succeeded" in body


def test_a_canceled_run_mails_only_the_any_list(
    plan: Any,
    mail_server: Any,
    tasks_run_here: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe(
        plan,
        on_success=["happy@example.com"],
        on_failure=["ops@example.com"],
        on_any=["audit@example.com"],
    )
    run = run_plan(plan=plan, source="manual")

    with django_capture_on_commit_callbacks(execute=True):
        run_cancel(run=run)

    assert envelopes(mail_server) == [["audit@example.com"]]
    assert (
        mail_server.messages[0]["Subject"] == f"Plan 'Nightly export' was canceled (run #{run.pk})"
    )
    assert "1. Export (http): canceled" in text_of(mail_server.messages[0])


def test_with_the_switch_off_nothing_is_sent_and_the_lists_are_kept(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    subscribe(plan, enabled=False, on_failure=["ops@example.com"], on_any=["audit@example.com"])

    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "boom"), ("skipped", ""))

    assert send_run_emails(run.pk).sent == []
    assert mail_server.received == []
    assert not PlanRunEmail.objects.exists()
    assert plan.email_notifications.on_failure == ["ops@example.com"]


def test_with_the_workspace_switch_off_no_plan_sends_mail(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    from workspace.services import workspace_settings_update

    subscribe(plan, on_failure=["ops@example.com"])
    workspace_settings_update(plan_emails_enabled=False)

    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "boom"), ("skipped", ""))

    assert send_run_emails(run.pk).sent == []
    assert mail_server.received == []
    assert plan.email_notifications.enabled  # the plan's own setting is kept

    workspace_settings_update(plan_emails_enabled=True)
    assert send_run_emails(run.pk).sent == ["ops@example.com"]
    assert envelopes(mail_server) == [["ops@example.com"]]


def test_a_plan_never_set_up_sends_nothing(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    end_run(run_plan(plan=plan, source="manual"), ("failed", "boom"), ("skipped", ""))

    assert mail_server.received == []


def test_a_run_that_has_not_ended_sends_nothing(plan: Any, mail_server: Any) -> None:
    subscribe(plan, on_any=["audit@example.com"])
    run = run_plan(plan=plan, source="manual")

    assert send_run_emails(run.pk).sent == []
    assert mail_server.received == []


def test_a_refusing_mail_server_never_fails_the_run_and_the_failure_is_recorded_after_retries(
    plan: Any, mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    subscribe(plan, on_success=["ops@example.com"])
    mail_server.refuse("550 5.7.1 Relaying denied")

    run = end_run(run_plan(plan=plan, source="manual"), ("succeeded", ""), ("succeeded", ""))

    assert run.status == RunStatus.SUCCEEDED and run.error == ""
    record = PlanRunEmail.objects.get(run=run)
    # The task tried once and retried twice (eager here, so without the backoff's waits).
    assert (record.status, record.attempts) == (RunEmailStatus.FAILED, 3)
    assert "550" in record.error and "Relaying denied" in record.error
    assert mail_server.received == []


def test_one_refused_address_does_not_stop_the_others_and_a_retry_sends_only_it(
    plan: Any, mail_server: Any, end_run: Any
) -> None:
    subscribe(plan, on_failure=["bounce@example.com", "ops@example.com"])
    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "x"), ("skipped", ""))
    mail_server.refuse("450 4.2.0 Mailbox busy", only={"bounce@example.com"})

    first = send_run_emails(run.pk)
    mail_server.accept_all()
    second = send_run_emails(run.pk)
    third = send_run_emails(run.pk)

    assert first.sent == ["ops@example.com"] and list(first.failed) == ["bounce@example.com"]
    assert "450" in first.failed["bounce@example.com"]
    assert second.sent == ["bounce@example.com"] and second.failed == {}
    assert third.sent == [] and third.failed == {}
    assert envelopes(mail_server) == [["ops@example.com"], ["bounce@example.com"]]
    bounce = PlanRunEmail.objects.get(run=run, address="bounce@example.com")
    assert (bounce.status, bounce.attempts, bounce.error) == ("sent", 2, "")


def test_a_mail_server_that_is_down_is_recorded_for_every_address(
    plan: Any, settings: Any, end_run: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    subscribe(plan, on_any=["a@example.com", "b@example.com"])
    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "x"), ("skipped", ""))

    result = send_run_emails(run.pk)

    assert sorted(result.failed) == ["a@example.com", "b@example.com"]
    assert PlanRun.objects.get(pk=run.pk).status == RunStatus.FAILED
    assert set(PlanRunEmail.objects.values_list("status", flat=True)) == {"failed"}


def test_a_plan_name_with_a_line_break_still_makes_a_one_line_subject(
    user: Any, mail_server: Any, end_run: Any
) -> None:
    plan = emails_plan(user, name="Nightly\nexport")
    subscribe(plan, on_any=["a@example.com"])
    run = end_run(run_plan(plan=plan, source="manual"), ("succeeded", ""), ("succeeded", ""))

    send_run_emails(run.pk)

    assert mail_server.messages[0]["Subject"] == f"Plan 'Nightly export' succeeded (run #{run.pk})"
