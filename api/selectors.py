"""Reads for the API, each scoped to what the user may see.

Until sharing exists a user sees only the plans they own, and the runs and jobs of those plans;
staff see everything. Anything else is reported as missing (`Http404`), never as forbidden, so
the API does not reveal which ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from plans.models import Plan, PlanTask
from runs.models import Job, JobLogLine, PlanRun
from runs.selectors import jobs_visible_to

JOB_LOG_LIMIT = 2000


def _can_see_all(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False))


def plan_visible_list(*, user: Any) -> QuerySet[Plan]:
    """Plans the user may see, each with its tasks prefetched in listed order and
    `latest_run_id`, `latest_run_status`, `latest_run_created_at` annotated (None without runs).

    The latest run comes from correlated subqueries on the (plan, -created_at) index, so the
    query count stays the same whatever the number of plans or runs.
    """
    plans = Plan.objects.all() if _can_see_all(user) else Plan.objects.filter(owner=user)
    latest = PlanRun.objects.filter(plan=OuterRef("pk")).order_by("-created_at", "-id")
    return plans.annotate(
        latest_run_id=Subquery(latest.values("id")[:1]),
        latest_run_status=Subquery(latest.values("status")[:1]),
        latest_run_created_at=Subquery(latest.values("created_at")[:1]),
    ).prefetch_related(
        Prefetch("tasks", queryset=PlanTask.objects.order_by("position", "id")),
    )


def plan_get(*, user: Any, plan_id: int) -> Plan:
    """The plan with `plan_id` as `plan_visible_list` shapes it; Http404 if the user may not see it."""
    plan = plan_visible_list(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def run_visible_list(*, user: Any, plan_id: int | None = None) -> QuerySet[PlanRun]:
    """Runs the user may see, optionally of one plan (which must be visible, else Http404)."""
    runs = PlanRun.objects.all() if _can_see_all(user) else PlanRun.objects.filter(plan__owner=user)
    if plan_id is not None:
        visible = Plan.objects.filter(pk=plan_id)
        if not _can_see_all(user):
            visible = visible.filter(owner=user)
        if not visible.exists():
            raise Http404
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
