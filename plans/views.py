"""Plan pages: the plan list, Plan View and its Run now button."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from plans import selectors
from runs.models import RunSource
from runs.services import run_plan

PLANS_PER_PAGE = 50
RUNS_PER_PAGE = 20


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans the user may see, with each one's latest run."""
    paginator = Paginator(selectors.plan_list_with_latest_run(request.user), PLANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "plans/list.html", {"page": page, "plans": page.object_list})


@login_required
@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Plan View: the tasks in order with their conditions, recent runs and Run now."""
    plan = selectors.plan_get_for_user(request.user, plan_id)
    runs_page = Paginator(selectors.plan_runs(plan), RUNS_PER_PAGE).get_page(
        request.GET.get("runs_page")
    )
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "task_rows": selectors.plan_task_rows(plan),
            "runs_page": runs_page,
            "runs": runs_page.object_list,
        },
    )


@login_required
@require_POST
def plan_run_now(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Start a manual run of the plan and show its run details."""
    plan = selectors.plan_get_for_user(request.user, plan_id)
    run = run_plan(plan=plan, source=RunSource.MANUAL, requested_by=request.user)
    return redirect("runs:detail", run_id=run.pk)
