"""Reads of flows for the pages: visibility follows the owner (staff see every flow)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet
from django.http import Http404

from flows.models import Flow
from flows.parameters import FLOW_TASK_TYPE
from runs.models import Job
from runs.selectors import jobs_using_q

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


def flow_jobs(flow: Flow) -> QuerySet[Job]:
    """Jobs of the flow, newest first: its ad-hoc runs' and those of plan tasks naming it."""
    return (
        Job.objects.filter(jobs_using_q(FLOW_TASK_TYPE, flow.pk))
        .select_related("run", "plan")
        .order_by("-created_at", "-id")
    )


def flow_recent_jobs(flow: Flow, *, limit: int = RECENT_JOBS) -> list[Job]:
    return list(flow_jobs(flow)[:limit])
