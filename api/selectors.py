"""Reads for the API, each scoped to what the user may see (`plans.access`: their own plans,
plans shared with them, everything for staff; runs and jobs go with their plan).

What the user may not see is reported as missing (`Http404`), never as forbidden, so the API
does not reveal which ids exist; what they may see but not change is a 403 (`PlanAccessDenied`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from plans.access import Capability, access_plan, plans_visible_to, with_caller_role
from plans.models import Plan, PlanTask
from runs.models import Job, JobLogLine, PlanRun
from runs.selectors import jobs_visible_to, runs_visible_to, with_latest_run

JOB_LOG_LIMIT = 2000


def _shaped(plans: QuerySet[Plan]) -> QuerySet[Plan]:
    return with_latest_run(plans).prefetch_related(
        Prefetch("tasks", queryset=PlanTask.objects.order_by("position", "id")),
    )


def plan_visible_list(*, user: Any) -> QuerySet[Plan]:
    """Plans the user may see, each with its tasks prefetched in listed order, the caller's
    role (`caller_role`) and `latest_run_id`, `latest_run_status`, `latest_run_created_at`
    annotated (None without runs).

    The latest run comes from correlated subqueries on the (plan, -created_at) index, so the
    query count stays the same whatever the number of plans or runs.
    """
    return with_caller_role(_shaped(plans_visible_to(user)), user)


def plan_get(*, user: Any, plan_id: int, need: Capability = Capability.VIEW) -> Plan:
    """The plan with `plan_id` as `plan_visible_list` shapes it, if the user may do `need`
    with it. Http404 if they may not see it, PlanAccessDenied (403) if their role falls short."""
    return access_plan(user, plan_id, need, queryset=_shaped(Plan.objects.all()))


def run_visible_list(*, user: Any, plan_id: int | None = None) -> QuerySet[PlanRun]:
    """Runs the user may see, optionally of one plan (which must be visible, else Http404)."""
    runs = runs_visible_to(user)
    if plan_id is not None:
        access_plan(user, plan_id)
        runs = runs.filter(plan_id=plan_id)
    return runs


def run_get(*, user: Any, run_id: int) -> PlanRun:
    """One visible run with its jobs prefetched in position order; Http404 otherwise."""
    run = (
        run_visible_list(user=user)
        .prefetch_related(Prefetch("jobs", queryset=Job.objects.order_by("position", "id")))
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise Http404
    return run


@dataclass(frozen=True)
class JobFilters:
    """Filters of the job list; None means "any"."""

    run_id: int | None = None
    plan_id: int | None = None
    status: str | None = None
    task_type: str | None = None


def job_visible_list(*, user: Any, filters: JobFilters | None = None) -> QuerySet[Job]:
    """Jobs of plans the user may see, filtered. Every filter column is indexed."""
    jobs = jobs_visible_to(user)
    f = filters or JobFilters()
    if f.run_id is not None:
        jobs = jobs.filter(run_id=f.run_id)
    if f.plan_id is not None:
        jobs = jobs.filter(plan_id=f.plan_id)
    if f.status is not None:
        jobs = jobs.filter(status=f.status)
    if f.task_type is not None:
        jobs = jobs.filter(task_type=f.task_type)
    return jobs


def job_get(*, user: Any, job_id: int) -> Job:
    """One visible job; Http404 otherwise."""
    job = job_visible_list(user=user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def job_log_lines(*, job: Job, limit: int = JOB_LOG_LIMIT) -> list[JobLogLine]:
    """The job's first `limit` log lines, oldest first."""
    return list(JobLogLine.objects.filter(job=job).order_by("id")[:limit])
