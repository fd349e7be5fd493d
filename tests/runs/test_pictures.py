"""The run pictures' data: why a job was skipped, the timeline's bars, the run history grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from plans.services import plan_create
from runs.models import Job, JobStatus, PlanRun, RunSource, RunStatus
from runs.pictures.history import plan_run_history
from runs.pictures.run_details import run_pictures
from runs.pictures.status import skip_explanation
from runs.pictures.timeline import axis_ticks, run_timeline, tick_label
from runs.services import run_plan

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def branching_plan(owner: Any) -> Any:
    return plan_create(
        owner=owner,
        name="Branches",
        tasks=[
            {"name": "Fetch items", "ref": "fetch_items", "type": "http", "config": {"url": "http://127.0.0.1:9/a"}},
            {"name": "Load", "ref": "load", "type": "http", "config": {"url": "http://127.0.0.1:9/b"}},
            {"name": "Alert", "ref": "alert", "type": "http", "config": {"url": "http://127.0.0.1:9/c"},
             "runWhen": "onFailure", "upstream": ["fetch_items"]},
            {"name": "Cleanup", "ref": "cleanup", "type": "http", "config": {"url": "http://127.0.0.1:9/d"},
             "runWhen": "always", "upstream": ["load", "alert"]},
        ],
    )  # fmt: skip


def record(run: PlanRun, ref: str, status: str, start: float | None = None, end: float | None = None, **extra: Any) -> None:  # fmt: skip
    Job.objects.filter(run=run, task_ref=ref).update(
        status=status,
        started_at=at(start) if start is not None else None,
        finished_at=at(end) if end is not None else None,
        **extra,
    )


# --- why a job was skipped -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_when", "statuses", "expected"),
    [
        ("onFailure", {"fetch_items": "succeeded"}, "fetch_items succeeded, this runs on failure"),
        ("onSuccess", {"fetch_items": "failed"}, "fetch_items failed, this runs on success"),
        (
            "onSuccess",
            {"fetch_items": "skipped"},
            "fetch_items was skipped, so this was skipped too",
        ),
    ],
)
def test_a_skip_is_explained_by_the_upstream_outcomes_and_the_condition(
    run_when: str, statuses: dict[str, str], expected: str
) -> None:
    task = {"runWhen": run_when, "upstream": ["fetch_items"]}

    assert skip_explanation(task, statuses, "recorded") == expected


def test_only_the_upstream_tasks_that_did_not_succeed_are_named_for_an_on_success_task() -> None:
    task = {"runWhen": "onSuccess", "upstream": ["a", "b", "c"]}
    statuses = {"a": "succeeded", "b": "failed", "c": "canceled"}

    assert skip_explanation(task, statuses, "x") == "b failed and c canceled, this runs on success"


def test_without_upstream_tasks_the_recorded_reason_stands() -> None:
    assert skip_explanation({"runWhen": "onSuccess", "upstream": []}, {}, "recorded") == "recorded"


# --- the timeline --------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_job_waits_from_the_previous_end_then_runs_on_one_axis(user: Any) -> None:
    run = run_plan(plan=branching_plan(user), source=RunSource.MANUAL, enqueue=False)
    PlanRun.objects.filter(pk=run.pk).update(
        created_at=T0, started_at=at(1), finished_at=at(10), status=RunStatus.SUCCEEDED
    )
    record(run, "fetch_items", JobStatus.SUCCEEDED, 1, 4)
    record(run, "load", JobStatus.SUCCEEDED, 5, 8)
    record(run, "alert", JobStatus.SKIPPED, result={"skipReason": "x"})
    record(run, "cleanup", JobStatus.SUCCEEDED, 9, 10)
    run.refresh_from_db()
    jobs = list(run.jobs.order_by("position"))

    timeline = run_pictures(run, jobs).timeline

    fetch, load, alert, cleanup = timeline.rows
    assert (fetch.queued.start, fetch.queued.width) == (0, 10)  # created at 0 s, started at 1 s
    assert (fetch.running.start, fetch.running.width) == (10, 30)
    assert (load.queued.start, load.queued.width) == (40, 10)  # ready when fetch ended
    assert alert.running is None and alert.queued is None
    assert alert.marker == 80  # decided when load ended
    assert alert.line == "↷ skipped: fetch_items succeeded, this runs on failure"
    assert (cleanup.queued.start, cleanup.running.start) == (80, 90)
    assert cleanup.line == "✓ succeeded · 1 s"
    assert [tick.label for tick in timeline.ticks] == ["0 s", "2 s", "4 s", "6 s", "8 s", "10 s"]


@pytest.mark.django_db
def test_an_active_run_shows_the_running_job_up_to_now_and_the_next_one_waiting(
    user: Any,
) -> None:
    run = run_plan(plan=branching_plan(user), source=RunSource.MANUAL, enqueue=False)
    PlanRun.objects.filter(pk=run.pk).update(
        created_at=T0, started_at=at(0), status=RunStatus.RUNNING
    )
    record(run, "fetch_items", JobStatus.SUCCEEDED, 0, 2)
    record(run, "load", JobStatus.RUNNING, 3)
    run.refresh_from_db()

    timeline = run_timeline(run, list(run.jobs.order_by("position")), {}, now=at(5))

    _, load, alert, _ = timeline.rows
    assert (load.running.start, load.running.width) == (60, 40)  # 3 s to now (5 s)
    assert load.line.startswith("● running · ")
    assert alert.queued is None and alert.running is None and alert.marker is None


def test_the_axis_has_a_few_round_ticks_whatever_the_span() -> None:
    assert [t.label for t in axis_ticks(0.9)] == ["0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s"]
    assert [t.label for t in axis_ticks(300)] == [
        "0 s",
        "1 min",
        "2 min",
        "3 min",
        "4 min",
        "5 min",
    ]
    assert len(axis_ticks(7 * 3600)) <= 6
    assert tick_label(90) == "1:30" and tick_label(5400) == "1:30 h"


# --- the run history -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_history_has_a_cell_per_run_and_task_oldest_run_first(user: Any) -> None:
    plan = branching_plan(user)
    runs = []
    for minute, status in enumerate([RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.RUNNING]):
        run = run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
        start = at(minute * 60)
        PlanRun.objects.filter(pk=run.pk).update(
            created_at=start, started_at=start,
            finished_at=None if status == RunStatus.RUNNING else start + timedelta(seconds=4 + minute),
            status=status,
        )  # fmt: skip
        runs.append(run)
    record(runs[1], "fetch_items", JobStatus.FAILED, 60, 61)
    refs = [(t.ref, t.name) for t in plan.tasks.order_by("position")]

    with time_machine.travel(at(128), tick=False):  # the running run is 8 s old
        history = plan_run_history(plan.pk, refs)

    assert [c.run_id for c in history.columns] == [r.pk for r in runs]
    assert [c.status for c in history.columns] == ["succeeded", "failed", "running"]
    assert len(history.cells) == 3 * 4
    failed = next(c for c in history.cells if c.status == "failed")
    assert failed.job_id == runs[1].jobs.get(task_ref="fetch_items").pk
    assert failed.x == history.columns[1].x
    assert failed.title == f"#{runs[1].pk} Fetch items: failed"
    # Bars grow with the duration (4 s, 5 s, 8 s so far); the longest fills the chart.
    assert [c.seconds for c in history.columns] == [4, 5, 8]
    assert [c.bar_height for c in history.columns] == [42, 52.5, 84]
    assert history.longest == "8 s"
    assert "8 s so far" in history.columns[2].title


@pytest.mark.django_db
def test_tasks_only_older_runs_had_come_last_marked_removed(user: Any) -> None:
    plan = branching_plan(user)
    run = run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)
    Job.objects.filter(run=run, task_ref="cleanup").update(
        task_ref="old_step", task_name="Old step"
    )

    history = plan_run_history(plan.pk, [("fetch_items", "Fetch items"), ("load", "Load")])

    assert [(line.ref, line.removed) for line in history.lines] == [
        ("fetch_items", False),
        ("load", False),
        ("alert", True),
        ("old_step", True),
    ]


@pytest.mark.django_db
def test_a_plan_that_never_ran_has_no_history(user: Any) -> None:
    assert plan_run_history(branching_plan(user).pk, []) is None


@pytest.mark.django_db
def test_the_history_reads_two_queries_for_fifty_runs(
    user: Any, django_assert_num_queries: Any
) -> None:
    plan = branching_plan(user)
    for _ in range(55):
        run_plan(plan=plan, source=RunSource.MANUAL, enqueue=False)

    with django_assert_num_queries(2):
        history = plan_run_history(plan.pk, [])

    assert len(history.columns) == 50
