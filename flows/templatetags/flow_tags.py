"""`{% plan_parameters plan %}`: Plan View's Manage parameters section, self-contained."""

from __future__ import annotations

from typing import Any

from django import template

from flows.parameters import plan_parameter_rows

register = template.Library()


@register.inclusion_tag("flows/_plan_parameters.html", takes_context=True)
def plan_parameters(context: template.Context, plan: Any) -> dict[str, Any]:
    """Every parameter of every flow the plan's tasks use, with the plan's overrides."""
    return {
        "plan": plan,
        "parameter_rows": plan_parameter_rows(plan),
        "csrf_token": context.get("csrf_token"),
        "parameter_errors": context.get("parameter_errors") or {},
        "access": context.get("access"),
    }
