"""Reads of runs and jobs for the pages: a run or job is visible with its plan (`plans.access`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from plans.access import plans_visible_to, visible_plans_q, with_caller_role
from plans.models import Plan, PlanTask
from plans.task_types import REGISTRY
from runs.filters import DateRange, parse_id
from runs.models import Job, JobLogLine, JobStatus, PlanRun


def with_latest_run(plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """`plans` annotated with their latest run's `latest_run_id`, `latest_run_status`,
    `latest_run_created_at` and `latest_run_finished_at` (None without runs).

    Correlated subqueries on the (plan, -created_at) index: a page of plans is one query
    however many plans or runs exist.
    """
    latest = PlanRun.objects.filter(plan=OuterRef("pk")).order_by("-created_at", "-id")
    return plans.annotate(
        latest_run_id=Subquery(latest.values("pk")[:1]),
        latest_run_status=Subquery(latest.values("status")[:1]),
        latest_run_created_at=Subquery(latest.values("created_at")[:1]),
        latest_run_finished_at=Subquery(latest.values("finished_at")[:1]),
    )


def plan_list_with_latest_run(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Visible plans annotated with `task_count`, the caller's role (`caller_role`) and their
    latest run's id, status and time.

    The annotations are correlated subqueries, so a page of plans is one query however many
    plans or runs exist (the (plan, -created_at) index serves the subqueries).
    """
    task_count = (
        PlanTask.objects.filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        with_latest_run(with_caller_role(plans_visible_to(user), user))
        .select_related("owner")
        .annotate(task_count=Subquery(task_count))
        .order_by("name", "id")
    )


def plan_runs(plan: Plan) -> QuerySet[PlanRun]:
    """The plan's runs, newest first (page it: a plan may have years of history)."""
    return (
        PlanRun.objects.filter(plan=plan)
        .select_related("requested_by")
        .order_by("-created_at", "-id")
    )


def jobs_using_q(kind: str, resource_id: int) -> Q:
    """A filter on `Job` keeping the jobs whose task names resource `resource_id` of `kind`
    ("flow", "connection") in one of its type's resource fields (a job carries its spec)."""
    q = Q(pk__in=[])
    for name, task_type in REGISTRY.items():
        for config_field in task_type.resource_fields(kind):
            q |= Q(task_type=name, **{f"spec__config__{config_field}": resource_id})
    return q


def runs_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[PlanRun]:
    """Runs of the plans `user` may see (owned, shared with them, or all for staff)."""
    return PlanRun.objects.filter(visible_plans_q(user, via="plan__"))


def jobs_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Job]:
    """Jobs of the plans `user` may see, and the jobs with no run they own (staff: all).

    A job with no run (an ad-hoc flow run) has no plan; its `owner` is whose access it acts
    with (the flow's owner).
    """
    if not user.is_authenticated:
        return Job.objects.none()
    if user.is_staff:
        return Job.objects.all()
    return Job.objects.filter(visible_plans_q(user, via="plan__") | Q(run__isnull=True, owner=user))


def run_get_for_user(user: AbstractBaseUser | AnonymousUser, run_id: int) -> PlanRun:
    """The run if `user` may see it; raises Http404 otherwise."""
    run = (
        runs_visible_to(user)
        .select_related("plan", "requested_by", "trigger", "retry_of")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def run_neighbours(run: PlanRun) -> tuple[int | None, int | None]:
    """Ids of the plan's run created just before `run` and just after it (None at either end);
    two lookups on the (plan, -created_at) index."""
    runs = PlanRun.objects.filter(plan_id=run.plan_id)
    before = Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, id__lt=run.pk)
    after = Q(created_at__gt=run.created_at) | Q(created_at=run.created_at, id__gt=run.pk)
    previous = runs.filter(before).order_by("-created_at", "-id").values_list("pk", flat=True)
    following = runs.filter(after).order_by("created_at", "id").values_list("pk", flat=True)
    return previous.first(), following.first()


def run_jobs(run: PlanRun) -> list[Job]:
    """The run's jobs in execution (snapshot) order."""
    return list(run.jobs.order_by("position", "id"))


def job_get_for_user(user: AbstractBaseUser | AnonymousUser, job_id: int) -> Job:
    """The job if `user` may see it; raises Http404 otherwise."""
    job = jobs_visible_to(user).select_related("run", "plan").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    return job


def job_log_lines(job: Job, *, limit: int = 2000) -> list[JobLogLine]:
    """The job's first `limit` log lines, oldest first."""
    return list(JobLogLine.objects.filter(job=job).order_by("id")[:limit])


@dataclass(frozen=True)
class JobFilters:
    """Job History filters from the query string; unknown or malformed values are ignored.

    A plan is chosen by id (`plan`, from links) or by name (`plan_name`, the form's searchable
    field: every visible plan of that name); a flow likewise (`flow`, `flow_name`), which the
    page applies (flows sit above runs). `since`/`until` are whole days in the site's zone.
    """

    status: str = ""
    plan_id: int | None = None
    plan_name: str = ""
    task_type: str = ""
    flow_id: int | None = None
    flow_name: str = ""
    dates: DateRange = field(default_factory=DateRange)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> JobFilters:
        status = params.get("status", "")
        return cls(
            status=status if status in JobStatus.values else "",
            plan_id=parse_id(params.get("plan")),
            plan_name=params.get("plan_name", "").strip()[:200],
            task_type=params.get("type", "").strip()[:20],
            flow_id=parse_id(params.get("flow")),
            flow_name=params.get("flow_name", "").strip()[:200],
            dates=DateRange.from_query(params),
        )


def job_history_list(
    user: AbstractBaseUser | AnonymousUser, filters: JobFilters | None = None
) -> QuerySet[Job]:
    """Every job `user` may see, newest first, narrowed by `filters` (all but the flow).

    Each filter has its own (column, -created_at) index, and the plan is joined, so a page
    (keyset, `runs.keyset`) costs one query whatever the history's size.
    """
    filters = filters or JobFilters()
    jobs = jobs_visible_to(user).select_related("plan")
    if filters.status:
        jobs = jobs.filter(status=filters.status)
    if filters.plan_id is not None:
        jobs = jobs.filter(plan_id=filters.plan_id)
    elif filters.plan_name:
        named = plans_visible_to(user).filter(name__iexact=filters.plan_name).values("pk")
        jobs = jobs.filter(plan_id__in=named)
    if filters.task_type:
        jobs = jobs.filter(task_type=filters.task_type)
    if filters.dates:
        jobs = jobs.filter(filters.dates.q())
    return jobs.order_by("-created_at", "-id")
