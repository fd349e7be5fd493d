"""Helpers for task-type tests: building plans and connections, and running a run in-process.

`run_in_process` executes a run's jobs the way the Celery chain does (one `jobs.execute` per
job in order, then `jobs.finish_run`), in the test process. Tests using it must use
`transactional_db` (the job runner's watcher thread reads the run on its own connection) and
`no_enqueue` (so no chain is sent to a broker a session worker may be listening on).

Slack in a worker: the worker reads SLACK_API_URL from its environment when it starts, and the
session worker (`celery_worker_process`) may start before any of our fixtures. So importing this
module (at collection, before any test runs) starts one shared fake Slack and points
`settings.SLACK_API_URL` at it; workers started afterwards inherit it. Use `worker_slack`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from connections.models import Connection
from connections.services import connection_create
from plans.models import Plan
from plans.services import plan_create
from runs.models import PlanRun
from runs.services import run_plan
from tasks_engine import jobs
from tasks_engine.rendering import render_text
from tasks_engine.task_types.base import ExecutionContext
from tests.fakes.slack import FakeSlack

SLACK_TOKEN = "xoxb-valid-token"
SHARED_SLACK = FakeSlack().start()
settings.SLACK_API_URL = SHARED_SLACK.base_url


@pytest.fixture
def worker_slack() -> FakeSlack:
    """The fake Slack every worker of this session posts to, with its record cleared."""
    assert SHARED_SLACK.base_url == settings.SLACK_API_URL, "SLACK_API_URL was changed"
    with SHARED_SLACK._lock:
        SHARED_SLACK.requests.clear()
    return SHARED_SLACK


@pytest.fixture
def no_enqueue(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Keep runs off the broker; returns the ids of runs that would have been (re)enqueued."""
    from tasks_engine import dispatch

    sent: list[int] = []
    monkeypatch.setattr(dispatch, "enqueue", sent.append)
    monkeypatch.setattr(dispatch, "resume", sent.append)  # the reaper's way in
    return sent


def http_task(name: str, url: str, **extra: Any) -> dict[str, Any]:
    """An HTTP task; keys of `extra` among ref/runWhen/upstream go on the task, others in config."""
    task_keys = {k: extra.pop(k) for k in ("ref", "runWhen", "upstream") if k in extra}
    config = {"method": "GET", "url": url, **extra}
    return {"name": name, "type": "http", "config": config, **task_keys}


def slack_task(name: str, connection: Connection, message: str, **task: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "slack",
        "config": {"connection": connection.pk, "channel": "#alerts", "message": message},
        **task,
    }


def delete_task(
    name: str, connection: Connection, path: str, target: str = "file", **task: Any
) -> dict[str, Any]:
    missing_ok = task.pop("missingOk", False)
    return {
        "name": name,
        "type": "delete",
        "config": {
            "connection": connection.pk,
            "path": path,
            "target": target,
            "missingOk": missing_ok,
        },
        **task,
    }


def slack_connection(
    owner: Any = None, token: str = SLACK_TOKEN, name: str = "Slack"
) -> Connection:
    return connection_create(name=name, kind="slack", secrets={"token": token}, owner=owner)


def make_plan(owner: Any, tasks: list[dict[str, Any]], name: str = "Plan") -> Plan:
    return plan_create(owner=owner, name=name, tasks=tasks)


def run_in_process(plan: Plan, **kwargs: Any) -> PlanRun:
    """Start a run of `plan` and execute it here, job by job as the chain would."""
    run = run_plan(plan=plan, source=kwargs.pop("source", "manual"), **kwargs)
    return drive(run)


def drive(run: PlanRun) -> PlanRun:
    """Execute the run's unfinished jobs in order in this process, then finish the run."""
    for job_id in run.jobs.order_by("position").values_list("pk", flat=True):
        if jobs.execute(job_id) is jobs.Next.STOP:
            break
    jobs.finish_run(run.pk)
    run.refresh_from_db()
    return run


def context_for(
    values: dict[str, Any] | None = None,
    log: list[str] | None = None,
    secrets: dict[str, str] | None = None,
) -> ExecutionContext:
    """An ExecutionContext outside any run: references filled from `values`, log kept in `log`."""
    lines = log if log is not None else []
    given: dict[str, Any] = values or {}
    render: Callable[[str], str] = lambda text: render_text(text, given)  # noqa: E731
    return ExecutionContext(
        job_id=0,
        run_id=None,
        log=lines.append,
        render=render,
        secret=lambda name: (secrets or {}).get(name),
        cancel=threading.Event(),
    )
