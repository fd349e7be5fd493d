"""Fixtures for the plans tests (triggers): a plan made through services, triggers, runs of a slot."""

from __future__ import annotations

from collections.abc import Callable
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
