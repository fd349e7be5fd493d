"""Reads of plans for the pages: who may see what, and lists that cost the same at any size."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from plans.models import Plan, PlanTask, RunWhen
from plans.snapshot import resolved_upstream
from runs.models import PlanRun


def plans_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """The plans `user` may see: their own, or every plan for staff. Nothing for anonymous."""
    if not user.is_authenticated:
        return Plan.objects.none()
    if user.is_staff:
        return Plan.objects.all()
    return Plan.objects.filter(owner=user)


def plan_get_for_user(user: AbstractBaseUser | AnonymousUser, plan_id: int) -> Plan:
    """The plan if `user` may see it; raises Http404 otherwise (never 403, so ids do not leak)."""
    plan = plans_visible_to(user).select_related("owner").filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


def plan_list_with_latest_run(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Visible plans annotated with `task_count` and their latest run's id, status and time.

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
        plans_visible_to(user)
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
