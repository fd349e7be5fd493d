"""The flow task type: build selected outputs of a flow with the DuckDB engine (`flows.engine`).

Config: `{"flow": <flow id>, "outputs": [<output names or ids>]}`; no outputs means all of
them. The flow itself is loaded when the job runs (flows are not frozen into snapshots, as in
the seed product); only the plan and trigger parameter layers are frozen, by `snapshot_data`
(see `flows.parameters`). Registered when `FlowsConfig.ready` imports this module.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from core.errors import FieldErrors, TaskError
from core.urls import page_url
from flows.engine import FlowCanceled, FlowError, run_flow
from flows.engine.results import json_safe
from flows.models import Flow
from flows.notifications import JobFacts, notify_flow_job
from flows.parameters import (
    SOURCE_PLAN,
    SOURCE_RUN,
    SOURCE_TRIGGER,
    effective_parameters,
    parameter_layers,
    validate_parameter_overrides,
)
from flows.run_parameters import run_parameter_rows
from flows.selectors import flows_visible_to
from flows.specs import flow_problem, flow_spec, run_limits
from plans.references import FieldSchema
from plans.task_types import ResourceKind, register, register_resource_kind
from plans.task_types.fields import ResourceField
from tasks_engine.task_types.base import ExecutableTaskType, ExecutionContext, ExecutionResult


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def output_result(result: Any) -> dict[str, Any]:
    """An engine OutputResult as the job result's camelCase output entry."""
    return {
        "name": result.output,
        "path": result.path,
        "format": result.format,
        "rowCount": result.row_count,
        "sizeBytes": result.size_bytes,
        "columns": [{"name": name, "type": kind} for name, kind in result.columns],
        "preview": result.preview,
    }


class FlowField(ResourceField):
    """The id of a flow the plan's owner may use (and that can run)."""

    kind = "flow"


class OutputsField(serializers.ListField):
    """Names (or ids) of outputs of the task's flow; empty builds every output."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        kwargs.setdefault("child", serializers.JSONField())
        kwargs.setdefault("error_messages", {"not_a_list": "Give a list of output names or ids."})
        super().__init__(**kwargs)


class FlowConfig(serializers.Serializer):
    """A flow task's config. The clean config also keeps `flowName` and `outputIds`, so that when
    the flow changes after the plan was saved, the job can say what changed."""

    flow = FlowField(help_text="A flow the plan's owner may use.")
    outputs = OutputsField(help_text="The outputs to build; none builds all of them.")
    flowName = serializers.CharField(required=False, read_only=True)
    outputIds = serializers.ListField(required=False, read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        flow = Flow.objects.prefetch_related("outputs").get(pk=attrs["flow"])
        by_name = {output.name: output for output in flow.outputs.all()}
        by_id = {output.pk: output for output in by_name.values()}
        chosen: list[Any] = []
        problems: list[str] = []
        for item in attrs.get("outputs") or []:
            output = by_name.get(item) if isinstance(item, str) else None
            if output is None and _as_id(item) is not None:
                output = by_id.get(_as_id(item))  # type: ignore[arg-type]
            if output is None:
                problems.append(f"The flow '{flow.name}' has no output {item!r}.")
            elif output not in chosen:
                chosen.append(output)
        errors: dict[str, list[str]] = {}
        if problems:
            errors["outputs"] = problems
        problem = flow_problem(flow)
        if problem:
            errors["flow"] = [f"The flow '{flow.name}' cannot run: {problem}"]
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "flow": flow.pk,
            "flowName": flow.name,
            "outputs": [output.name for output in chosen],
            "outputIds": [output.pk for output in chosen],
        }


class FlowTask(ExecutableTaskType):
    """Build selected outputs of a flow with the DuckDB engine (`flows.engine`)."""

    name = "flow"
    label = "Flow"
    description = "Run a flow to build its selected outputs."
    config_serializer = FlowConfig
    offers = {"outputs": FieldSchema.any()}
    takes_run_overrides = True

    def snapshot_data(self, *, plan: Any, trigger: Any, tasks: list[Any]) -> Any:
        """The plan and trigger parameter layers, frozen so later edits of either do not change
        a run already queued (the flows themselves are read when the job runs)."""
        return parameter_layers(plan, trigger)

    def check_run_overrides(self, *, plan: Any, overrides: Mapping[str, Any]) -> FieldErrors:
        return validate_parameter_overrides(plan, overrides)

    def run_details_section(self, run: Any) -> tuple[str, dict[str, Any]] | None:
        """The effective parameter values of the run's flow tasks, and the retry dialog."""
        rows = run_parameter_rows(run)
        return ("flows/_run_parameters.html", {"parameter_rows": rows}) if rows else None

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        config = spec["config"]
        flow = Flow.objects.filter(pk=config.get("flow")).first()
        if flow is None:
            raise TaskError(
                f"Flow '{config.get('flowName', '?')}' (#{config.get('flow')}) was deleted "
                "after this run was created."
            )
        selected = self._selected_outputs(flow, config, context)
        layers, plan_facts = self._layers(flow, context)
        result: dict[str, Any] = {
            "flow": {"id": flow.pk, "name": flow.name},
            "selectedOutputs": selected,
            "parameters": {},
            "outputs": [],
        }
        status, error = "succeeded", ""
        try:
            flow_definition = flow_spec(flow, resolve_secrets=True)
            parameters = effective_parameters(flow.name, flow_definition.parameters, layers)
            result["parameters"] = {
                name: {"value": json_safe(entry["value"]), "source": entry["source"]}
                for name, entry in parameters.items()
            }
            for name, entry in result["parameters"].items():
                context.log(f"Parameter {name} = {entry['value']!r} ({entry['source']})")
            outputs = run_flow(
                flow_definition,
                outputs=selected or None,
                parameters={name: entry["value"] for name, entry in parameters.items()},
                run_id=context.run_id if context.run_id is not None else f"job{context.job_id}",
                log=context.log,
                cancel=context.cancel,
                limits=run_limits(),
            )
            result["outputs"] = [output_result(output) for output in outputs]
        except FlowCanceled as exc:
            status, error = "canceled", str(exc)
        except (FlowError, TaskError) as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # still notify; the job records the crash like any other
            context.log(traceback.format_exc(limit=5))
            status, error = "failed", f"Internal error: {exc.__class__.__name__}: {exc}"
        if not context.cancel.is_set():
            facts = JobFacts(
                job_id=context.job_id,
                status=status,
                outputs=selected or [o.name for o in flow.outputs.order_by("id")],
                written={entry["name"]: entry for entry in result["outputs"]},
                plan=plan_facts,
                error=error,
            )
            result.update(notify_flow_job(flow, facts, log=context.log, cancel=context.cancel))
        return ExecutionResult(status=status, result=result, error=error)  # type: ignore[arg-type]

    def _selected_outputs(
        self, flow: Any, config: Mapping[str, Any], context: ExecutionContext
    ) -> list[str]:
        """Current names of the selected outputs; TaskError naming one deleted since."""
        names = list(config.get("outputs") or [])
        ids = list(config.get("outputIds") or [])
        current = {output.pk: output.name for output in flow.outputs.all()}
        by_name = set(current.values())
        selected: list[str] = []
        for index, name in enumerate(names):
            output_id = ids[index] if index < len(ids) else None
            if output_id in current:
                if current[output_id] != name:
                    context.log(f"Output '{name}' was renamed '{current[output_id]}' since.")
                selected.append(current[output_id])
            elif name in by_name:
                selected.append(name)
            else:
                raise TaskError(
                    f"Output '{name}' of flow '{flow.name}' was deleted after this run was created."
                )
        return selected

    def _layers(
        self, flow: Any, context: ExecutionContext
    ) -> tuple[list[tuple[str, Mapping[str, Any]]], dict[str, Any] | None]:
        """Parameter layers above the flow defaults, and the plan facts for notifications."""
        run_layer = context.parameters or {}
        if context.run_id is None:
            return [(SOURCE_RUN, run_layer)], None
        frozen = context.type_data if isinstance(context.type_data, Mapping) else {}
        layers = [
            (SOURCE_PLAN, frozen.get(SOURCE_PLAN) or {}),
            (SOURCE_TRIGGER, frozen.get(SOURCE_TRIGGER) or {}),
            (SOURCE_RUN, run_layer),
        ]
        plan_facts = {
            "id": context.plan.get("id"),
            "runId": context.run_id,
            "url": page_url("runs:detail", context.run_id),
        }
        return layers, plan_facts


register(FlowTask())
register_resource_kind(
    ResourceKind("flow", rows=Flow.objects.all, visible_to=flows_visible_to, needed_to_run=True)
)
