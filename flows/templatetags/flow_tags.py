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


@register.inclusion_tag("flows/_trigger_parameters.html", takes_context=True)
def trigger_parameters(context: template.Context, trigger: Any) -> dict[str, Any]:
    """A trigger's own flow parameter overrides, as a form (its edit page)."""
    from flows.trigger_parameters import trigger_parameter_rows

    return {
        "trigger": trigger,
        "rows": trigger_parameter_rows(trigger),
        "errors": {},
        "csrf_token": context.get("csrf_token"),
    }
