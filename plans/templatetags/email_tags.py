"""`{% load email_tags %}`: Plan View's email notification form and a run's sent mails."""

from __future__ import annotations

from django import template

from notifications.forms import PlanEmailsForm, initial_email_fields
from notifications.models import PlanRunEmail
from plans.models import Plan
from runs.models import PlanRun

register = template.Library()


@register.simple_tag
def plan_emails_form(plan: Plan) -> PlanEmailsForm:
    """The form with the plan's current switch and lists (one query)."""
    return PlanEmailsForm(initial=initial_email_fields(plan))


@register.simple_tag
def run_emails(run: PlanRun) -> list[PlanRunEmail]:
    """The mails about the run, sent or failed, in the order they were first tried."""
    return list(PlanRunEmail.objects.filter(run=run).order_by("id"))
