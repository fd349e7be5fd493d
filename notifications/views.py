"""Plan View's email notification form, and the unsubscribe page of every mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from notifications.forms import PlanEmailsForm, initial_email_fields, save_email_fields
from notifications.services import plan_notifications_unsubscribe
from notifications.tokens import BadToken, read_unsubscribe_token
from plans.access import Capability, access_plan
from plans.models import Plan
from workspace.features import plans_enabled_required


@login_required
@plans_enabled_required
def plan_emails_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Plan View: the switch and recipient lists. 404 for a plan the user may not see, 403
    for a viewer (editing needs the editor role, as for the plan's tasks and triggers)."""
    plan = access_plan(request.user, plan_id, Capability.EDIT)
    form = PlanEmailsForm(request.POST or None, initial=initial_email_fields(plan))
    if request.method == "POST" and form.is_valid():
        save_email_fields(form, plan=plan)
        messages.success(request, "Email notifications saved.")
        return redirect(reverse("plans:detail", args=[plan.pk]) + "#emails")
    return render(request, "plans/emails_form.html", {"plan": plan, "form": form})


# The signed token is the credential (recipients may have no account, and mail clients post
# RFC 8058 one-click unsubscribes without a CSRF token); no session is read or changed.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: confirm page. POST: remove the token's address from the plan's lists.
    A forged or damaged token is a 400 page."""
    try:
        plan_id, address = read_unsubscribe_token(token)
    except BadToken as error:
        return render(request, "plans/emails_unsubscribe.html", {"error": str(error)}, status=400)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    plan = Plan.objects.filter(pk=plan_id).only("name").first()
    context = {"address": address, "plan": plan, "token": token}
    if request.method == "POST":
        context["removed"] = plan_notifications_unsubscribe(plan_id=plan_id, address=address)
        context["done"] = True
    return render(request, "plans/emails_unsubscribe.html", context)
