"""The values metadata references see when a job starts: the plan and its upstream tasks."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.urls import page_url
from plans.references import response_context
from runs.models import Job, PlanRun


def upstream_closure(snapshot: dict[str, Any], ref: str) -> set[str]:
    """The refs a task may reference: its upstream tasks and theirs, transitively."""
    by_ref = {task["ref"]: task for task in snapshot["tasks"]}
    seen: set[str] = set()
    stack = list(by_ref[ref]["upstream"]) if ref in by_ref else []
    while stack:
        current = stack.pop()
        if current in seen or current not in by_ref:
            continue
        seen.add(current)
        stack.extend(by_ref[current]["upstream"])
    return seen


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _seconds(job_or_run: Job | PlanRun) -> float | None:
    duration = job_or_run.duration
    return round(duration.total_seconds(), 3) if duration is not None else None


def run_url(run_id: int) -> str:
    return page_url("runs:detail", run_id)


def plan_values(run: PlanRun) -> dict[str, Any]:
    started = run.started_at or timezone.now()
    return {
        "name": run.plan_name,
        "id": run.plan_id,
        "runId": run.pk,
        "url": run_url(run.pk),
        "startTime": _iso(started),
        "duration": round((timezone.now() - started).total_seconds(), 3),
        "user": run.requested_by_id,
        "taskCount": len(run.snapshot.get("tasks", [])),
    }


def job_values(job: Job) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": job.task_name,
        "status": job.status,
        "startTime": _iso(job.started_at),
        "endTime": _iso(job.finished_at),
        "duration": _seconds(job),
    }
    response = job.result.get("response") if isinstance(job.result, dict) else None
    if isinstance(response, dict):
        values["statusCode"] = response.get("statusCode")
        values["response"] = response_context(
            body=response.get("body", ""), headers=response.get("headers", {})
        )
    outputs = job.result.get("outputs") if isinstance(job.result, dict) else None
    if outputs is not None:
        values["outputs"] = outputs
    return values


def build_context(job: Job) -> dict[str, Any]:
    """Root name -> values, for `references.render`: `plan` plus each upstream task by ref."""
    run = job.run
    assert run is not None, "reference context needs a plan run"
    allowed = upstream_closure(run.snapshot, job.task_ref)
    context: dict[str, Any] = {"plan": plan_values(run)}
    for other in run.jobs.filter(task_ref__in=allowed):
        context[other.task_ref] = job_values(other)
    return context
