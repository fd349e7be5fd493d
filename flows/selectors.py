"""Reads of flows for the pages: visibility follows the owner (staff see every flow)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from flows.models import Flow
from plans.models import PlanTask
from runs.models import Job

RECENT_JOBS = 20


def flows_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Flow]:
    """Flows `user` may see: their own, or all for staff; nothing for anonymous users."""
    if not user.is_authenticated:
        return Flow.objects.none()
    if user.is_staff:
        return Flow.objects.all()
    return Flow.objects.filter(owner=user)


def flow_list(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Flow]:
    """Visible flows with `dataset_count` and `output_count`, in one query per page."""
    return (
        flows_visible_to(user)
        .select_related("owner")
        .annotate(
            dataset_count=Count("datasets", distinct=True),
            output_count=Count("outputs", distinct=True),
        )
        .order_by("name", "id")
    )


def flow_get_for_user(user: AbstractBaseUser | AnonymousUser, flow_id: int) -> Flow:
    """The flow if `user` may see it; Http404 otherwise (never 403, so ids do not leak)."""
    flow = flows_visible_to(user).select_related("owner").filter(pk=flow_id).first()
    if flow is None:
        raise Http404("No such flow.")
    return flow


def jobs_of_flow_q(flow_id: int) -> Q:
    """A filter on `Job` keeping the flow's jobs: ad-hoc ones (`run=None`, `task_id=<flow
    id>`) and those of plan tasks whose config names the flow."""
    tasks = PlanTask.objects.filter(type="flow", config__flow=flow_id).values("pk")
    return Q(task_type="flow") & (
        Q(run__isnull=True, task_id=flow_id) | Q(run__isnull=False, task_id__in=tasks)
    )


def flow_jobs(flow: Flow) -> QuerySet[Job]:
    """Jobs of the flow, newest first (see `jobs_of_flow_q`)."""
    return (
        Job.objects.filter(jobs_of_flow_q(flow.pk))
        .select_related("run", "plan")
        .order_by("-created_at", "-id")
    )


def flow_recent_jobs(flow: Flow, *, limit: int = RECENT_JOBS) -> list[Job]:
    return list(flow_jobs(flow)[:limit])
