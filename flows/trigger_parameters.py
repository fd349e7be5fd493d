"""A trigger's own flow parameter overrides (`Trigger.parameter_overrides`): the section on the
trigger's edit page and the view that saves it through `plans.triggers.services.trigger_update`.

One row per parameter of every flow the plan's tasks use: the value the trigger inherits (the
plan's override, else the flow default) and the trigger's own value; an empty box inherits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.errors import ServiceValidationError
from flows.engine import ParameterError
from flows.parameters import PlanParameterRow, check_value, plan_parameter_rows, value_text
from plans.access import Capability, access_trigger
from plans.models import Trigger
from plans.triggers.services import trigger_update
from workspace.features import plans_enabled_required

# The errors key of a problem that is not one row's.
GENERAL = "_"


@dataclass(frozen=True)
class TriggerParameterRow:
    row: PlanParameterRow
    value: str
    field: str

    @property
    def inherited(self) -> str:
        return value_text(self.row.effective)

    @property
    def inherited_from(self) -> str:
        return "plan" if self.row.override is not None else "flow default"


def trigger_parameter_rows(
    trigger: Trigger, posted: dict[str, str] | None = None
) -> list[TriggerParameterRow]:
    """Every parameter the trigger may override, with its value (the posted one, if given)."""
    own = trigger.parameter_overrides if isinstance(trigger.parameter_overrides, dict) else {}
    rows = []
    for row in plan_parameter_rows(trigger.plan):
        field = f"value:{row.flow.pk}:{row.parameter.name}"
        current = own.get(row.flow.name, {}) if isinstance(own.get(row.flow.name), dict) else {}
        value = (
            posted[field]
            if posted is not None and field in posted
            else value_text(current.get(row.parameter.name))
        )
        rows.append(TriggerParameterRow(row=row, value=value, field=field))
    return rows


def _overrides(rows: list[TriggerParameterRow]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The trigger's overrides from the non-empty rows, and {field: error} for bad values."""
    overrides: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for item in rows:
        if item.value.strip() == "":
            continue
        try:
            clean = check_value(item.row.parameter, item.value.strip())
        except ParameterError as error:
            errors[item.field] = error.message
            continue
        overrides.setdefault(item.row.flow.name, {})[item.row.parameter.name] = clean
    return overrides, errors


@login_required
@plans_enabled_required
@require_http_methods(["GET", "POST"])
def trigger_parameters_view(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """GET draws the section; POST saves every row at once (editors, owner, staff): empty rows
    inherit, a bad value saves nothing and says why next to it. htmx requests get the section
    back; others go back to the trigger's edit page."""
    need = Capability.EDIT if request.method == "POST" else Capability.VIEW
    trigger = access_trigger(request.user, trigger_id, need)
    errors: dict[str, str] = {}
    rows = trigger_parameter_rows(
        trigger, request.POST.dict() if request.method == "POST" else None
    )
    if request.method == "POST":
        overrides, errors = _overrides(rows)
        if not errors:
            try:
                trigger = trigger_update(trigger=trigger, parameter_overrides=overrides)
            except ServiceValidationError as error:
                errors = {GENERAL: " ".join(m for ms in error.errors.values() for m in ms)}
            else:
                messages.success(request, f"Parameter overrides of trigger '{trigger.name}' saved.")
        if not request.headers.get("HX-Request"):
            for message in errors.values():
                messages.error(request, message)
            return redirect("plans:trigger_edit", trigger_id=trigger.pk)
    context = {
        "trigger": trigger,
        "rows": rows,
        "errors": errors,
        "general_error": errors.get(GENERAL, ""),
        "saved": request.method == "POST" and not errors,
    }
    return render(request, "flows/_trigger_parameters.html", context, status=400 if errors else 200)
