"""Every final transition of a run announces its end (`run_finished`) exactly once, after
commit, and so sends its mails once: the worker's finish (even delivered twice), a cancel, and
the reaper ending an overdue run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from notifications.models import PlanRunEmail
from runs import state
from runs.models import RunStatus
from runs.services import RunStateError, run_cancel, run_plan
from runs.signals import run_finished
from tasks_engine import jobs
from tasks_engine.reaper import reap
from tests.notifications.emails_helpers import emails_plan, end_run, subscribe

pytestmark = pytest.mark.django_db
__all__ = ["end_run"]  # a fixture


@pytest.fixture
def announced() -> Iterator[list[int]]:
    """The run ids `run_finished` was sent for, in order."""
    calls: list[int] = []

    def record(sender: Any, run_id: int, **kwargs: Any) -> None:
        calls.append(run_id)

    run_finished.connect(record, weak=False, dispatch_uid="tests.announced")
    yield calls
    run_finished.disconnect(dispatch_uid="tests.announced")


@pytest.fixture
def plan(user: Any) -> Any:
    plan = emails_plan(user)
    subscribe(plan, on_any=["audit@example.com"])
    return plan


def test_the_workers_finish_announces_once_and_mails_once_even_delivered_twice(
    plan: Any, announced: list[int], mail_server: Any, tasks_run_here: None, end_run: Any
) -> None:
    run = run_plan(plan=plan, source="manual")

    end_run(run, ("succeeded", ""), ("succeeded", ""), times=2)

    assert announced == [run.pk]
    assert [m.rcpt_tos for m in mail_server.received] == [["audit@example.com"]]


def test_two_racing_finishes_end_the_run_once(
    plan: Any, announced: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    run = run_plan(plan=plan, source="manual")

    with django_capture_on_commit_callbacks(execute=True):
        # Two deliveries that both read the run as active: only one update can win.
        outcomes = [state.run_end(run.pk, status=RunStatus.SUCCEEDED) for _ in range(2)]

    assert outcomes == [True, False]
    assert announced == [run.pk]


def test_the_end_is_announced_only_once_the_transaction_commits(
    plan: Any, announced: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    run = run_plan(plan=plan, source="manual")

    with django_capture_on_commit_callbacks() as callbacks:
        run_cancel(run=run)
        assert announced == []
    for callback in callbacks:
        callback()

    assert announced == [run.pk]


def test_a_cancel_announces_once_and_the_worker_finishing_later_adds_nothing(
    plan: Any,
    announced: list[int],
    mail_server: Any,
    tasks_run_here: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = run_plan(plan=plan, source="manual")

    with django_capture_on_commit_callbacks(execute=True):
        run_cancel(run=run)
        with pytest.raises(RunStateError):
            run_cancel(run=run)
        jobs.finish_run(run.pk)  # the chain's last link, arriving after the cancel

    assert announced == [run.pk]
    assert len(mail_server.received) == 1
    assert "was canceled" in mail_server.messages[0]["Subject"]


def test_the_reaper_announces_an_overdue_run_once(
    plan: Any,
    announced: list[int],
    mail_server: Any,
    tasks_run_here: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = run_plan(plan=plan, source="manual")

    later = timezone.now() + timedelta(hours=settings.MAX_RUN_HOURS, minutes=1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert reap()["overdue"] == 1
        assert reap()["overdue"] == 0

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert announced == [run.pk]
    assert [m.rcpt_tos for m in mail_server.received] == [["audit@example.com"]]
    assert f"failed (run #{run.pk})" in mail_server.messages[0]["Subject"]
    assert PlanRunEmail.objects.get(run=run).status == "sent"


def test_a_failing_listener_does_not_undo_or_break_a_cancel(
    plan: Any,
    announced: list[int],
    mail_server: Any,
    tasks_run_here: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(sender: Any, run_id: int, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    run_finished.connect(broken, weak=False, dispatch_uid="tests.broken")
    try:
        run = run_plan(plan=plan, source="manual")
        with django_capture_on_commit_callbacks(execute=True):
            canceled = run_cancel(run=run)
    finally:
        run_finished.disconnect(dispatch_uid="tests.broken")

    assert canceled.status == RunStatus.CANCELED
    assert announced == [run.pk]
    assert len(mail_server.received) == 1  # the other listeners still ran
