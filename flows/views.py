"""Flow pages: the flow list, a flow's details with Run flow, and Plan View's Manage parameters."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ServiceValidationError
from flows import selectors
from flows.models import Flow
from flows.parameters import plan_parameter_rows
from flows.services import flow_run_adhoc, plan_override_clear, plan_override_set
from flows.specs import flow_problem
from plans.access import Capability, access_plan, plan_access
from workspace.features import plans_enabled_required

FLOWS_PER_PAGE = 25


@login_required
@require_GET
def flow_list_view(request: HttpRequest) -> HttpResponse:
    """All flows the user may see, paginated."""
    page = Paginator(selectors.flow_list(request.user), FLOWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "flows/list.html", {"page": page, "flows": page.object_list})


@login_required
@require_GET
def flow_detail(request: HttpRequest, flow_id: int) -> HttpResponse:
    """A flow's parameters, datasets, recipe steps, outputs, notifications and recent jobs."""
    flow = selectors.flow_get_for_user(request.user, flow_id)
    return render(
        request,
        "flows/detail.html",
        {
            "flow": flow,
            "problem": flow_problem(flow),
            "parameters": list(flow.parameters.all()),
            "datasets": list(flow.datasets.select_related("connection")),
            "recipes": list(flow.recipes.prefetch_related("steps").order_by("id")),
            "outputs": list(flow.outputs.select_related("recipe", "connection").order_by("id")),
            "webhooks": list(flow.webhooks.prefetch_related("outputs").order_by("id")),
            "emails": list(flow.email_notifications.all()),
            "jobs": selectors.flow_recent_jobs(flow),
        },
    )


@login_required
@require_POST
def flow_run_view(request: HttpRequest, flow_id: int) -> HttpResponse:
    """Run flow: queue an ad-hoc job building every output, then show the flow again."""
    flow: Flow = selectors.flow_get_for_user(request.user, flow_id)
    try:
        job = flow_run_adhoc(flow=flow, requested_by=request.user).job
    except ServiceValidationError as error:
        messages.error(request, f"The flow cannot run: {error}")
    else:
        messages.success(
            request,
            format_html(
                'Flow queued as <a href="{}">job #{}</a>.',
                reverse("runs:job", args=[job.pk]),
                job.pk,
            ),
        )
    return redirect("flows:detail", flow_id=flow.pk)


@login_required
@plans_enabled_required
@require_http_methods(["GET", "POST"])
def plan_parameters_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Manage parameters: GET draws the section; POST sets (`action=set`, `value`) or clears
    (`action=clear`) the plan's override of `flow`'s parameter `name` (editors, owner, staff).
    htmx requests get the section back (with errors); others are redirected to Plan View."""
    need = Capability.EDIT if request.method == "POST" else Capability.VIEW
    plan = access_plan(request.user, plan_id, need)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _apply_override(request, plan)
    if request.method == "GET" or request.headers.get("HX-Request"):
        return render(
            request,
            "flows/_plan_parameters.html",
            {
                "plan": plan,
                "access": plan_access(plan, request.user),
                "parameter_rows": plan_parameter_rows(plan),
                "parameter_errors": errors,
            },
            status=400 if errors else 200,
        )
    return redirect("plans:detail", plan.pk)


def _apply_override(request: HttpRequest, plan: Any) -> dict[str, list[str]]:
    flow_id = request.POST.get("flow", "")
    name = request.POST.get("name", "")
    flow = Flow.objects.filter(pk=int(flow_id)).first() if flow_id.isdigit() else None
    if flow is None:
        messages.error(request, "Choose a flow of this plan.")
        return {"flow": ["Choose a flow of this plan."]}
    if request.POST.get("action") == "clear":
        if plan_override_clear(plan=plan, flow=flow, name=name):
            messages.success(request, f"{flow.name}.{name} now inherits the flow's default.")
        return {}
    try:
        plan_override_set(plan=plan, flow=flow, name=name, value=request.POST.get("value", ""))
    except ServiceValidationError as error:
        for messages_ in error.errors.values():
            for message in messages_:
                messages.error(request, message)
        return error.errors
    messages.success(request, f"{flow.name}.{name} overridden for this plan.")
    return {}
