"""Fixtures for API tests: the issue's example plan body, and plans and runs made through services."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from plans.models import Plan
from plans.services import plan_create
from runs.models import PlanRun, RunSource
from runs.services import run_plan

# The create body of issue 2, literally.
EXAMPLE_PLAN_BODY: dict[str, Any] = {
    "name": "Nightly export",
    "description": "Push the export to the warehouse.",
    "tasks": [
        {
            "name": "Trigger export",
            "type": "http",
            "config": {
                "method": "POST",
                "url": "https://example.com/hooks/export",
                "headers": {"Content-Type": "application/json"},
                "body": '{"full": true}',
                "timeoutSeconds": 30,
                "retries": 0,
                "validateSsl": True,
            },
        }
    ],
}


def http_task(name: str, url: str = "https://example.com/x", **config: Any) -> dict[str, Any]:
    return {"name": name, "type": "http", "config": {"method": "GET", "url": url, **config}}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Personas are created per test; a slow password hash would dominate these tests' time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def example_body() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE_PLAN_BODY)


@pytest.fixture
def make_plan(user: Any) -> Callable[..., Plan]:
    """`make_plan(owner=None, name="Plan", tasks=None)`: a plan saved through plan_create."""

    def make(
        owner: Any = None, name: str = "Plan", tasks: list[dict[str, Any]] | None = None
    ) -> Plan:
        return plan_create(
            owner=owner or user,
            name=name,
            tasks=tasks or [http_task("First"), http_task("Second")],
        )

    return make


@pytest.fixture
def make_run() -> Callable[..., PlanRun]:
    """`make_run(plan, source="manual")`: a queued run (never enqueued: tests do not commit)."""

    def make(plan: Plan, source: str = RunSource.MANUAL) -> PlanRun:
        return run_plan(plan=plan, source=source)

    return make
