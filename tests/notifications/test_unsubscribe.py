"""The unsubscribe link of each mail: a confirm page, then the address leaves the plan's lists.
No account is needed; a forged or damaged link is a clear 400."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from notifications.sending import send_run_emails
from notifications.tokens import unsubscribe_token
from runs.services import run_plan
from tests.notifications.emails_helpers import emails_plan, end_run, subscribe
from tests.plan_fixtures import text_of

pytestmark = pytest.mark.django_db
__all__ = ["end_run"]  # a fixture


@pytest.fixture
def plan(user: Any) -> Any:
    plan = emails_plan(user)
    subscribe(
        plan,
        on_success=["keep@example.com"],
        on_failure=["ops@example.com", "keep@example.com"],
        on_any=["OPS@example.com"],
    )
    return plan


def link_in(mail: Any) -> str:
    """The path of the mail's unsubscribe link."""
    url = re.search(r"Stop these emails: (\S+)", text_of(mail)).group(1)  # type: ignore[union-attr]
    assert url.startswith(settings.SITE_URL)
    return url.removeprefix(settings.SITE_URL)


def lists_of(plan: Any) -> tuple[list[str], list[str], list[str]]:
    plan.email_notifications.refresh_from_db()
    row = plan.email_notifications
    return row.on_success, row.on_failure, row.on_any


def test_the_link_in_a_mail_asks_first_then_removes_the_address_from_every_list(
    plan: Any, mail_server: Any, end_run: Any
) -> None:
    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "x"), ("skipped", ""))
    send_run_emails(run.pk)
    ops_mail = next(m for m in mail_server.messages if m["To"] == "ops@example.com")
    visitor = Client()  # no account, no session

    asked = visitor.get(link_in(ops_mail))
    assert asked.status_code == 200
    assert b"Stop sending emails about the plan" in asked.content
    assert b"ops@example.com" in asked.content
    assert lists_of(plan)[1] == ["ops@example.com", "keep@example.com"]  # a GET changes nothing

    done = visitor.post(link_in(ops_mail))

    assert done.status_code == 200
    assert b"will no longer receive emails" in done.content
    assert lists_of(plan) == (["keep@example.com"], ["keep@example.com"], [])
    again = visitor.post(link_in(ops_mail))
    assert b"nothing to do" in again.content


def test_an_unsubscribed_address_gets_no_mail_about_the_next_run(
    plan: Any, mail_server: Any, end_run: Any
) -> None:
    Client().post(
        f"/plans/emails/unsubscribe/{unsubscribe_token(plan_id=plan.pk, address='ops@example.com')}/"
    )

    run = end_run(run_plan(plan=plan, source="manual"), ("failed", "x"), ("skipped", ""))
    send_run_emails(run.pk)

    assert [m.rcpt_tos for m in mail_server.received] == [["keep@example.com"]]


def test_mail_clients_can_unsubscribe_in_one_click_without_a_csrf_token(plan: Any) -> None:
    token = unsubscribe_token(plan_id=plan.pk, address="keep@example.com")
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/plans/emails/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert lists_of(plan) == ([], ["ops@example.com"], ["OPS@example.com"])


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="signature"),
        pytest.param(
            lambda t: signing.dumps({"plan": 1, "address": "keep@example.com"}, salt="other"),
            id="other-purpose",
        ),
        pytest.param(
            lambda t: signing.dumps({"plan": 1, "address": "a@x.com"}, key="not-the-key"),
            id="other-key",
        ),
        pytest.param(lambda t: "garbage", id="garbage"),
    ],
)
def test_a_tampered_link_is_refused_with_a_clear_400_and_changes_nothing(
    plan: Any, tamper: Any
) -> None:
    token = tamper(unsubscribe_token(plan_id=plan.pk, address="keep@example.com"))
    before = lists_of(plan)

    for response in (
        Client().get(f"/plans/emails/unsubscribe/{token}/"),
        Client().post(f"/plans/emails/unsubscribe/{token}/"),
    ):
        assert response.status_code == 400
        assert b"This unsubscribe link is not valid." in response.content

    assert lists_of(plan) == before


def test_a_link_to_a_deleted_plan_says_so(plan: Any) -> None:
    token = unsubscribe_token(plan_id=plan.pk, address="keep@example.com")
    plan.delete()

    response = Client().get(f"/plans/emails/unsubscribe/{token}/")

    assert response.status_code == 200
    assert b"This plan no longer exists" in response.content
