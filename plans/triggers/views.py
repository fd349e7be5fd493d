"""Plan View actions on triggers (the page itself draws them with `plans/_triggers.html`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from plans.models import Trigger
from plans.selectors import plan_get_for_user, plans_visible_to
from plans.triggers.services import trigger_delete, trigger_set_enabled


def _trigger_for(request: HttpRequest, trigger_id: int) -> Trigger:
    trigger = (
        Trigger.objects.filter(pk=trigger_id, plan__in=plans_visible_to(request.user))
        .select_related("plan")
        .first()
    )
    if trigger is None:
        raise Http404("No such trigger.")
    return trigger


def _back_to_plan(plan_id: int) -> HttpResponse:
    return redirect(reverse("plans:detail", args=[plan_id]) + "#triggers")


@login_required
def trigger_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Plan View: add a trigger (the same form and rules as the admin inline)."""
    from plans.admin_triggers import TriggerForm, save_trigger_form

    plan = plan_get_for_user(request.user, plan_id)
    form = TriggerForm(request.POST or None, initial={"timezone": "UTC", "enabled": True})
    if request.method == "POST" and form.is_valid():
        save_trigger_form(form, plan=plan)
        messages.success(request, "Trigger added.")
        return _back_to_plan(plan.pk)
    return render(request, "plans/trigger_form.html", {"plan": plan, "form": form, "trigger": None})


@login_required
def trigger_edit(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Plan View: change a trigger; only the fields that changed are saved."""
    from plans.admin_triggers import TriggerForm, save_trigger_form

    trigger = _trigger_for(request, trigger_id)
    form = TriggerForm(request.POST or None, instance=trigger)
    if request.method == "POST" and form.is_valid():
        save_trigger_form(form, plan=trigger.plan)
        messages.success(request, f"Trigger '{trigger.name}' saved.")
        return _back_to_plan(trigger.plan_id)
    context = {"plan": trigger.plan, "form": form, "trigger": trigger}
    return render(request, "plans/trigger_form.html", context)


@login_required
@require_POST
def trigger_remove(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Plan View: delete a trigger (its periodic task goes with it)."""
    trigger = _trigger_for(request, trigger_id)
    trigger_delete(trigger=trigger)
    messages.success(request, f"Trigger '{trigger.name}' deleted.")
    return _back_to_plan(trigger.plan_id)


@login_required
@require_POST
def trigger_toggle(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Switch a trigger on or off, then back to its Plan View. 404 for someone else's trigger."""
    trigger = _trigger_for(request, trigger_id)
    trigger_set_enabled(trigger=trigger, enabled=not trigger.enabled)
    return _back_to_plan(trigger.plan_id)
