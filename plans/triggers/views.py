"""Plan View actions on triggers (the page itself draws them with `plans/_triggers.html`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from plans.models import Trigger
from plans.selectors import plans_visible_to
from plans.triggers.services import trigger_set_enabled


@login_required
@require_POST
def trigger_toggle(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """Switch a trigger on or off, then back to its Plan View. 404 for someone else's trigger."""
    trigger = (
        Trigger.objects.filter(pk=trigger_id, plan__in=plans_visible_to(request.user))
        .select_related("plan")
        .first()
    )
    if trigger is None:
        raise Http404("No such trigger.")
    trigger_set_enabled(trigger=trigger, enabled=not trigger.enabled)
    return redirect(reverse("plans:detail", args=[trigger.plan_id]) + "#triggers")
