"""End to end: a run fails in a real Celery worker, and the worker mails the failure list over
real SMTP once the run has ended (a worker of its own, pointed at the test's SMTP server)."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.models import PlanRunEmail
from notifications.services import plan_notifications_update
from plans.services import plan_create
from runs.models import RunStatus
from runs.services import run_plan
from tests.helpers import wait_for_run, wait_until
from tests.plan_fixtures import text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_failing_run_in_the_worker_mails_its_failure_list_once(
    user: Any, http_peer: Any, smtp_peer: Any, start_celery_worker: Any
) -> None:
    start_celery_worker(EMAIL_URL=f"smtp://{smtp_peer.host}:{smtp_peer.port}")
    http_peer.route("/export", status=500, body=b"warehouse down")
    plan = plan_create(
        owner=user,
        name="Nightly export",
        tasks=[{"name": "Export", "type": "http", "config": {"url": http_peer.url("/export")}}],
    )
    plan_notifications_update(
        plan=plan,
        enabled=True,
        on_success=["happy@example.com"],
        on_failure=["ops@example.com"],
        on_any=["OPS@example.com", "audit@example.com"],
    )

    run = wait_for_run(run_plan(plan=plan, source="manual").pk, timeout=30)
    mails = smtp_peer.wait_for_messages(2, timeout=30)

    assert run.status == RunStatus.FAILED
    assert sorted(m.rcpt_tos[0] for m in smtp_peer.received) == [
        "audit@example.com",
        "ops@example.com",
    ]
    assert {m["Subject"] for m in mails} == {f"Plan 'Nightly export' failed (run #{run.pk})"}
    assert "1. Export (http): failed" in text_of(mails[0])
    records = wait_until(
        lambda: PlanRunEmail.objects.filter(run=run, status="sent").count() == 2 or None,
        timeout=10,
        what="both mails recorded as sent",
    )
    assert records
    assert len(smtp_peer.received) == 2
