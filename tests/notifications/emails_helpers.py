"""Helpers for the plan email tests: a plan with a secret, its lists, and ending a run as the
worker does (on-commit callbacks, such as the mail task, run inside the test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifications.models import PlanEmailNotifications
from notifications.services import plan_notifications_update
from plans.models import Plan
from plans.services import plan_create
from runs.models import Job, PlanRun
from tasks_engine import jobs

HEADER_SECRET = "header-value-4242"
SIGNING_SECRET = "signing-key-4242"


def emails_plan(owner: Any, name: str = "Nightly export") -> Plan:
    """Two HTTP tasks; the first carries a header value and a secret key no mail may show."""
    return plan_create(
        owner=owner,
        name=name,
        tasks=[
            {
                "name": "Export",
                "type": "http",
                "config": {
                    "method": "POST",
                    "url": "https://example.com/export",
                    "headers": {"X-Api-Key": HEADER_SECRET},
                    "secretKey": SIGNING_SECRET,
                },
            },
            {"name": "Notify", "type": "http", "config": {"url": "https://example.com/notify"}},
        ],
    )


def subscribe(plan: Plan, enabled: bool = True, **lists: list[str]) -> PlanEmailNotifications:
    return plan_notifications_update(plan=plan, enabled=enabled, **lists)


@pytest.fixture
def end_run(django_capture_on_commit_callbacks: Any) -> Callable[..., PlanRun]:
    """`end_run(run, ("failed", "error"), ("skipped", ""))`: give the run's jobs these
    outcomes in order, then `finish_run` as the worker does, running on-commit callbacks."""

    def end(run: PlanRun, *outcomes: tuple[str, str], times: int = 1) -> PlanRun:
        for job, (status, error) in zip(run.jobs.order_by("position"), outcomes, strict=True):
            Job.objects.filter(pk=job.pk).update(status=status, error=error)
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(times):
                jobs.finish_run(run.pk)
        run.refresh_from_db()
        return run

    return end
