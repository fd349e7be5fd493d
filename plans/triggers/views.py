"""Plan View actions on triggers (the page itself draws them with `plans/_triggers.html`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from plans.access import Capability, access_plan, access_trigger
from plans.triggers.services import trigger_delete, trigger_set_enabled
from workspace.features import plans_enabled_required


def _back_to_plan(plan_id: int) -> HttpResponse:
    return redirect(reverse("plans:detail", args=[plan_id]) + "#triggers")


@login_required
@plans_enabled_required
def trigger_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Plan View: add a trigger (the same form and rules as the admin inline)."""
    from plans.admin_triggers import save_trigger_form
    from plans.triggers.page_form import TriggerPageForm

    plan = access_plan(request.user, plan_id, Capability.EDIT)
    form = TriggerPageForm(request.POST or None, initial={"timezone": "UTC", "enabled": True})
    if request.method == "POST" and form.is_valid():
        save_trigger_form(form, plan=plan)
        messages.success(request, "Trigger added.")
        return _back_to_plan(plan.pk)
    return _form_page(request, {"plan": plan, "form": form, "trigger": None})


@login_required
@plans_enabled_required
def trigger_edit(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Plan View: change a trigger; only the fields that changed are saved."""
    from plans.admin_triggers import save_trigger_form
    from plans.triggers.page_form import TriggerPageForm

    trigger = access_trigger(request.user, trigger_id, Capability.EDIT)
    form = TriggerPageForm(request.POST or None, instance=trigger)
    if request.method == "POST" and form.is_valid():
        save_trigger_form(form, plan=trigger.plan)
        messages.success(request, f"Trigger '{trigger.name}' saved.")
        return _back_to_plan(trigger.plan_id)
    return _form_page(request, {"plan": trigger.plan, "form": form, "trigger": trigger})


def _form_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    from plans.triggers.page_form import TIME_FIELDS, ZONE_LIST_ID, iana_zones

    context.update(zones=iana_zones(), zone_list_id=ZONE_LIST_ID, time_fields=TIME_FIELDS)
    return render(request, "plans/trigger_form.html", context)


@login_required
@plans_enabled_required
@require_POST
def trigger_remove(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Plan View: delete a trigger (its periodic task goes with it)."""
    trigger = access_trigger(request.user, trigger_id, Capability.EDIT)
    trigger_delete(trigger=trigger)
    messages.success(request, f"Trigger '{trigger.name}' deleted.")
    return _back_to_plan(trigger.plan_id)


@login_required
@plans_enabled_required
@require_POST
def trigger_toggle(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Switch a trigger on or off, then back to its Plan View. 404 for someone else's trigger."""
    trigger = access_trigger(request.user, trigger_id, Capability.EDIT)
    trigger_set_enabled(trigger=trigger, enabled=not trigger.enabled)
    return _back_to_plan(trigger.plan_id)
