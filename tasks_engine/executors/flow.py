"""The flow task: build selected outputs of a flow with the DuckDB engine (`flows.engine`).

Config: `{"flow": <flow id>, "outputs": [<output names or ids>]}`; no outputs means all of
them. The clean config also keeps `flowName` and `outputIds` so that, when the flow changes
after the plan was saved, the job can say what changed. The flow itself is loaded when the job
runs (flows are not frozen into snapshots, as in the seed product); only the plan and trigger
parameter layers are frozen (see `flows.parameters`).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from tasks_engine.errors import JobError
from tasks_engine.executors.base import (
    ConfigErrors,
    ExecutionContext,
    ExecutionResult,
    TaskType,
    add_error,
)

_KNOWN_FIELDS = {"flow", "outputs", "flowName", "outputIds"}


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


class FlowTask(TaskType):
    type = "flow"
    label = "Flow"

    def clean_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigErrors]:
        from flows.models import Flow
        from flows.specs import flow_problem

        errors: ConfigErrors = {}
        for name in sorted(set(config) - _KNOWN_FIELDS):
            add_error(errors, name, "Unknown field.")
        flow_id = _as_id(config.get("flow"))
        flow = Flow.objects.filter(pk=flow_id).first() if flow_id is not None else None
        if flow is None:
            add_error(
                errors,
                "flow",
                "Choose a flow." if flow_id is None else f"No flow with id {flow_id}.",
            )
            return {"flow": flow_id, "outputs": []}, errors
        raw = config.get("outputs") or []
        if not isinstance(raw, list):
            add_error(errors, "outputs", "Give a list of output names or ids.")
            raw = []
        by_name = {output.name: output for output in flow.outputs.all()}
        by_id = {output.pk: output for output in by_name.values()}
        chosen: list[Any] = []
        for item in raw:
            output = by_name.get(item) if isinstance(item, str) else None
            if output is None and _as_id(item) is not None:
                output = by_id.get(_as_id(item))  # type: ignore[arg-type]
            if output is None:
                add_error(errors, "outputs", f"The flow '{flow.name}' has no output {item!r}.")
            elif output not in chosen:
                chosen.append(output)
        problem = flow_problem(flow)
        if problem:
            add_error(errors, "flow", f"The flow '{flow.name}' cannot run: {problem}")
        clean = {
            "flow": flow.pk,
            "flowName": flow.name,
            "outputs": [output.name for output in chosen],
            "outputIds": [output.pk for output in chosen],
        }
        return clean, errors

    def used_resources(self, config: Mapping[str, Any]) -> list[tuple[str, str, int]]:
        flow_id = config.get("flow")
        return [("flow", "flow", flow_id)] if isinstance(flow_id, int) else []

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        from flows.engine import FlowCanceled, FlowError, run_flow
        from flows.engine.results import json_safe
        from flows.models import Flow
        from flows.notifications import JobFacts, notify_flow_job
        from flows.parameters import effective_parameters
        from flows.specs import flow_spec, run_limits

        config = spec["config"]
        flow = Flow.objects.filter(pk=config.get("flow")).first()
        if flow is None:
            raise JobError(
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
        except (FlowError, JobError) as exc:
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
        """Current names of the selected outputs; JobError naming one deleted since."""
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
                raise JobError(
                    f"Output '{name}' of flow '{flow.name}' was deleted after this run was created."
                )
        return selected

    def _layers(
        self, flow: Any, context: ExecutionContext
    ) -> tuple[list[tuple[str, Mapping[str, Any]]], dict[str, Any] | None]:
        """Parameter layers above the flow defaults, and the plan facts for notifications."""
        from flows.parameters import SOURCE_PLAN, SOURCE_RUN, SOURCE_TRIGGER, plan_overrides
        from runs.models import PlanRun
        from tasks_engine.reference_context import run_url

        run_layer = context.parameters or {}
        if context.run_id is None:
            return [(SOURCE_RUN, run_layer)], None
        run = PlanRun.objects.select_related("trigger", "plan").get(pk=context.run_id)
        frozen = run.snapshot.get("flowParameters")
        if isinstance(frozen, Mapping):
            plan_layer = frozen.get(SOURCE_PLAN) or {}
            trigger_layer = frozen.get(SOURCE_TRIGGER) or {}
        else:  # a run created without frozen layers: read them now
            plan_layer = plan_overrides(run.plan)
            trigger_layer = run.trigger.parameter_overrides if run.trigger else {}
        layers = [
            (SOURCE_PLAN, plan_layer),
            (SOURCE_TRIGGER, trigger_layer),
            (SOURCE_RUN, run_layer),
        ]
        return layers, {"id": run.plan_id, "runId": run.pk, "url": run_url(run.pk)}
