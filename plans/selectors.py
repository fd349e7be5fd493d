"""Reads of plans for the pages: lists that cost the same at any size (who may see what is
`plans.access`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, OuterRef, QuerySet, Subquery

from plans.access import plans_visible_to, with_caller_role
from plans.models import Plan, PlanShare, PlanTask, RunWhen
from plans.snapshot import resolved_upstream
from runs.models import PlanRun


def plan_list_with_latest_run(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Visible plans annotated with `task_count`, the caller's role (`caller_role`) and their
    latest run's id, status and time.

    The annotations are correlated subqueries, so a page of plans is one query however many
    plans or runs exist (the (plan, -created_at) index serves the subqueries).
    """
    latest = PlanRun.objects.filter(plan=OuterRef("pk")).order_by("-created_at", "-id")
    task_count = (
        PlanTask.objects.filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        with_caller_role(plans_visible_to(user), user)
        .select_related("owner")
        .annotate(
            latest_run_id=Subquery(latest.values("pk")[:1]),
            latest_run_status=Subquery(latest.values("status")[:1]),
            latest_run_created_at=Subquery(latest.values("created_at")[:1]),
            latest_run_finished_at=Subquery(latest.values("finished_at")[:1]),
            task_count=Subquery(task_count),
        )
        .order_by("name", "id")
    )


def plan_collaborators(plan: Plan) -> QuerySet[PlanShare]:
    """The plan's shares with their users, oldest first (the owner is not among them)."""
    return PlanShare.objects.filter(plan=plan).select_related("user").order_by("id")


def plan_runs(plan: Plan) -> QuerySet[PlanRun]:
    """The plan's runs, newest first (page it: a plan may have years of history)."""
    return (
        PlanRun.objects.filter(plan=plan)
        .select_related("requested_by")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class TaskRow:
    """One task as Plan View draws it: its resolved upstream refs and whether it branches.

    `branches` is true when the task does not simply follow the task listed before it on
    success (another condition, several upstreams, or an upstream further back), which is
    what the page indents so the shape of the plan is visible at a glance.
    """

    task: PlanTask
    upstream: list[str]
    branches: bool


def plan_task_rows(plan: Plan) -> list[TaskRow]:
    """The plan's tasks in execution order with their resolved upstream refs."""
    tasks = list(plan.tasks.order_by("position", "id"))
    upstream = resolved_upstream(tasks)
    rows: list[TaskRow] = []
    previous: PlanTask | None = None
    for task in tasks:
        ups = upstream[task.pk]
        plain = task.run_when == RunWhen.ON_SUCCESS and (
            ups == ([previous.ref] if previous is not None else [])
        )
        rows.append(TaskRow(task=task, upstream=ups, branches=not plain))
        previous = task
    return rows
