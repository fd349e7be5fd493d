"""Fixtures for the plans tests (triggers): a plan made through services, triggers, runs of a slot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from plans.models import Plan, Trigger
from plans.services import plan_create
from plans.triggers.services import trigger_create
from runs.models import PlanRun


def http_task(name: str, url: str = "http://127.0.0.1:9/none", **config: Any) -> dict[str, Any]:
    return {"name": name, "type": "http", "config": {"method": "GET", "url": url, **config}}


@pytest.fixture
def plan(user: Any) -> Plan:
    return plan_create(owner=user, name="Nightly export", tasks=[http_task("Export")])


@pytest.fixture
def make_trigger(plan: Plan) -> Callable[..., Trigger]:
    """`make_trigger(kind="cron", cron="0 6 * * *", ...)` through `trigger_create`."""

    def make(**fields: Any) -> Trigger:
        fields.setdefault("name", "Trigger")
        fields.setdefault("kind", "cron")
        if fields["kind"] == "cron":
            fields.setdefault("cron", "0 6 * * *")
        return trigger_create(plan=fields.pop("plan", plan), **fields)

    return make


def slots_of(trigger: Trigger) -> list[tuple[datetime, bool]]:
    """(scheduled_for, late) of the trigger's runs, oldest slot first."""
    return [
        (run.scheduled_for, run.late)
        for run in PlanRun.objects.filter(trigger=trigger).order_by("scheduled_for")
    ]


# --- plan emails ------------------------------------------------------------------------


@pytest.fixture
def mail_server(settings: Any, smtp_peer: Any) -> Any:
    """Django's mail goes over real SMTP to `smtp_peer` (the test's own SMTP server)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_peer.host
    settings.EMAIL_PORT = smtp_peer.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_peer


@pytest.fixture
def tasks_run_here() -> Iterator[None]:
    """Celery tasks sent during the test run at once in this process (`task_always_eager`),
    so the mail task enqueued at a run's end runs inside the test."""
    from orchestration_site.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def text_of(message: Any) -> str:
    """The decoded plain-text body of a received mail."""
    return message.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")


def header_of(message: Any, name: str) -> str:
    """A received mail's header, unfolded (long values arrive over several lines)."""
    return "".join(str(message[name]).splitlines()).strip()
