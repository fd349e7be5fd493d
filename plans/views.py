"""Plan pages: the plan list, Plan View, its Run now button and its Share section."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import ServiceValidationError
from plans import selectors
from plans.access import Capability, access_plan, plan_access, resources_blocking_run
from plans.models import ShareRole
from plans.services import ShareInvitation, plan_share, plan_unshare
from runs import selectors as run_selectors
from runs.models import ACTIVE_RUN_STATUSES, RunSource
from runs.services import run_plan
from workspace.features import plans_enabled_required
from workspace.selectors import get_workspace_settings

PLANS_PER_PAGE = 50


@login_required
@plans_enabled_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans the user may see (their own, shared with them, all for staff), with each one's
    latest run."""
    return render(request, "plans/list.html", _plan_list_context(request))


@login_required
@plans_enabled_required
@require_GET
def plan_list_fragment(request: HttpRequest) -> HttpResponse:
    """The plans table alone; it carries the polling trigger only while a plan on the page has
    an active latest run."""
    return render(request, "plans/_list_live.html", _plan_list_context(request))


def _plan_list_context(request: HttpRequest) -> dict[str, Any]:
    paginator = Paginator(run_selectors.plan_list_with_latest_run(request.user), PLANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    plans = list(page.object_list)
    active = any(plan.latest_run_status in ACTIVE_RUN_STATUSES for plan in plans)
    return {"page": page, "plans": plans, "plans_active": active}


@login_required
@plans_enabled_required
@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Plan View: the plan graph and the tasks in order with their conditions, the run history
    and latest runs, Run now and, for the owner and staff, the Share section."""
    from plans.graph.picture import plan_graph_picture
    from plans.pages.plan_runs import runs_section

    plan = access_plan(request.user, plan_id)
    access = plan_access(plan, request.user)
    task_rows = selectors.plan_task_rows(plan)
    manage = access is not None and access.can_manage
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "access": access,
            "task_rows": task_rows,
            "graph": plan_graph_picture(task_rows),
            **runs_section(plan, task_rows),
            "blocked_flows": resources_blocking_run(plan, request.user).get("flow", [])
            if access is not None and access.shared
            else [],
            "sharing_enabled": get_workspace_settings().sharing_enabled,
            "collaborators": list(selectors.plan_collaborators(plan)) if manage else [],
            "share_roles": ShareRole.choices,
        },
    )


@login_required
@plans_enabled_required
@require_POST
def plan_run_now(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Start a manual run of the plan and show its run details."""
    plan = access_plan(request.user, plan_id, Capability.RUN)
    run = run_plan(plan=plan, source=RunSource.MANUAL, requested_by=request.user)
    return redirect("runs:detail", run_id=run.pk)


def _back_to_sharing(plan_id: int) -> HttpResponse:
    return redirect(reverse("plans:detail", args=[plan_id]) + "#sharing")


@login_required
@plans_enabled_required
@require_POST
def plan_share_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Share: `users` (emails or usernames, comma-separated) get `role`. Owner and staff only;
    an unknown name saves nothing and says which."""
    plan = access_plan(request.user, plan_id, Capability.MANAGE)
    names = [n.strip() for n in request.POST.get("users", "").replace(";", ",").split(",")]
    role = request.POST.get("role", ShareRole.VIEWER)
    invitations = [ShareInvitation(who=name, role=role) for name in names if name]
    try:
        shares = plan_share(plan=plan, invitations=invitations, shared_by=request.user)
    except ServiceValidationError as error:
        for problems in error.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        who = ", ".join(share.user.get_username() for share in shares)
        messages.success(request, f"Shared with {who} ({role}).")
    return _back_to_sharing(plan.pk)


@login_required
@plans_enabled_required
@require_POST
def plan_unshare_view(request: HttpRequest, plan_id: int, user_id: int) -> HttpResponse:
    """Remove a collaborator (owner and staff only)."""
    plan = access_plan(request.user, plan_id, Capability.MANAGE)
    if plan_unshare(plan=plan, user_id=user_id):
        messages.success(request, "Collaborator removed.")
    return _back_to_sharing(plan.pk)
