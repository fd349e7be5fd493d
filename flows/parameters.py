"""Flow parameters in plans: which flows a plan uses, override checks, and effective values.

Precedence, lowest to highest: the flow's default < the plan's override (`Plan.parameter_overrides`)
< the trigger's override (`Trigger.parameter_overrides`) < the run's own overrides
(`PlanRun.parameter_overrides`). Trigger and run overrides share one shape,
`{"<flow name>": {"<parameter>": value}}`. The plan and trigger layers are frozen into the run's
snapshot when the run is created (`snapshot["types"]["flow"]`, see `parameter_layers`), so later
edits do not change a run that is already queued.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flows.engine import ParameterError, ParameterSpec, coerce_parameter
from flows.engine.results import json_safe
from flows.models import Flow, FlowParameter

FLOW_TASK_TYPE = "flow"  # the flow task type's name (flows.task_type.FlowTask.name)
SOURCE_DEFAULT = "flow default"
SOURCE_PLAN = "plan"
SOURCE_TRIGGER = "trigger"
SOURCE_RUN = "run"
FieldErrors = dict[str, list[str]]


def flow_ids_of_configs(configs: Iterable[Mapping[str, Any]]) -> list[int]:
    """The flow ids named by flow-task configs, first use first, without repeats."""
    ids: list[int] = []
    for config in configs:
        flow_id = config.get("flow") if isinstance(config, Mapping) else None
        if isinstance(flow_id, int) and not isinstance(flow_id, bool) and flow_id not in ids:
            ids.append(flow_id)
    return ids


def flows_of_plan(plan: Any) -> list[Flow]:
    """The flows the plan's flow tasks use, by name; flows deleted since are left out."""
    configs = plan.tasks.filter(type=FLOW_TASK_TYPE).values_list("config", flat=True)
    ids = flow_ids_of_configs(configs)
    return list(Flow.objects.filter(pk__in=ids).prefetch_related("parameters").order_by("name"))


def check_value(parameter: FlowParameter | ParameterSpec, value: Any) -> Any:
    """`value` coerced to the parameter's type, as JSON (dates as text); ParameterError if not."""
    return json_safe(coerce_parameter(parameter.type, value, name=parameter.name))


def validate_parameter_overrides(
    plan: Any, overrides: Any, *, prefix: str = "parameterOverrides"
) -> FieldErrors:
    """Check run or trigger overrides `{"<flow name>": {"<param>": value}}` against the flows
    the plan's tasks use; return errors keyed `<prefix>.<flow>.<param>` ({} when all is well).

    A flow the plan does not use, an unknown parameter and a value that does not fit the
    parameter's type are each an error.
    """
    errors: FieldErrors = {}
    if overrides in (None, {}):
        return errors
    if not isinstance(overrides, Mapping):
        return {prefix: ["Give an object of flow names to parameter values."]}
    flows = {flow.name: flow for flow in flows_of_plan(plan)}
    for flow_name, values in overrides.items():
        path = f"{prefix}.{flow_name}"
        flow = flows.get(str(flow_name))
        if flow is None:
            known = ", ".join(sorted(flows)) or "none"
            errors[path] = [
                f"No task of this plan uses a flow named {flow_name!r} (its flows: {known})."
            ]
            continue
        if not isinstance(values, Mapping):
            errors[path] = ["Give an object of parameter names to values."]
            continue
        declared = {parameter.name: parameter for parameter in flow.parameters.all()}
        for name, value in values.items():
            parameter = declared.get(str(name))
            if parameter is None:
                known = ", ".join(sorted(declared)) or "none"
                errors[f"{path}.{name}"] = [
                    f"The flow '{flow.name}' has no parameter named {name!r} (known: {known})."
                ]
                continue
            try:
                check_value(parameter, value)
            except ParameterError as error:
                errors[f"{path}.{name}"] = [error.message]
    return errors


def plan_overrides(plan: Any) -> dict[str, dict[str, Any]]:
    """The plan's own overrides as `{"<flow name>": {"<param>": value}}`."""
    return {
        flow: dict(values)
        for flow, values in sorted((plan.parameter_overrides or {}).items())
        if isinstance(values, Mapping)
    }


def parameter_layers(plan: Any, trigger: Any = None) -> dict[str, Any]:
    """The plan and trigger layers a new run's snapshot freezes (the flow type's
    `snapshot_data`): `{"plan": {...}, "trigger": {...}}`."""
    trigger_layer = getattr(trigger, "parameter_overrides", None) or {}
    return {SOURCE_PLAN: plan_overrides(plan), SOURCE_TRIGGER: dict(trigger_layer)}


def effective_parameters(
    flow_name: str,
    declared: Iterable[ParameterSpec],
    layers: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Each parameter's value and where it came from: `{name: {"value", "source"}}`.

    `declared` are the flow's parameters with their (coerced) defaults; `layers` are
    `(source, {"<flow name>": {...}})` from lowest to highest precedence. Values are the engine's
    Python values (dates as `datetime.date`). Raises ParameterError naming the layer when an
    override names a parameter the flow does not have or does not fit its type: that means the
    flow changed after the override was checked.
    """
    by_name = {parameter.name: parameter for parameter in declared}
    values: dict[str, dict[str, Any]] = {
        name: {"value": parameter.value, "source": SOURCE_DEFAULT}
        for name, parameter in by_name.items()
    }
    for source, layer in layers:
        overrides = layer.get(flow_name) if isinstance(layer, Mapping) else None
        if not isinstance(overrides, Mapping):
            continue
        for name, value in overrides.items():
            parameter = by_name.get(name)
            if parameter is None:
                raise ParameterError(
                    f"The {source} override sets parameter {name!r}, which the flow "
                    f"'{flow_name}' no longer has."
                )
            try:
                coerced = coerce_parameter(parameter.type, value, name=name)
            except ParameterError as error:
                raise ParameterError(f"The {source} override: {error.message}") from None
            values[name] = {"value": coerced, "source": source}
    return values


_NO_OVERRIDE: Any = object()


@dataclass(frozen=True)
class PlanParameterRow:
    """One line of Manage parameters: a flow parameter, its inherited value and the override."""

    flow: Flow
    parameter: FlowParameter
    # The plan's value, or _NO_OVERRIDE when it inherits the flow's default.
    override: Any

    @property
    def overridden(self) -> bool:
        return self.override is not _NO_OVERRIDE

    @property
    def effective(self) -> Any:
        return self.override if self.overridden else self.parameter.default

    @property
    def default_text(self) -> str:
        return value_text(self.parameter.default)

    @property
    def override_text(self) -> str:
        return value_text(self.override) if self.overridden else ""


def value_text(value: Any) -> str:
    """A stored parameter value as shown and typed in forms: booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def plan_parameter_rows(plan: Any) -> list[PlanParameterRow]:
    """Every parameter of every flow the plan's tasks use, with the plan's override if any."""
    overrides = plan_overrides(plan)
    return [
        PlanParameterRow(
            flow, parameter, overrides.get(flow.name, {}).get(parameter.name, _NO_OVERRIDE)
        )
        for flow in flows_of_plan(plan)
        for parameter in flow.parameters.all()
    ]
