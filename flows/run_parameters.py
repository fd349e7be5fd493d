"""The effective flow parameter values of a plan run, for Run Details.

A flow job that has run recorded its values (and where each came from) in its result; for one
that has not run yet, the same computation is made from the run's frozen layers, so the page
shows what the job will use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.engine import FlowError
from flows.engine.results import json_safe
from flows.models import Flow
from flows.parameters import (
    FLOW_TASK_TYPE,
    SOURCE_PLAN,
    SOURCE_RUN,
    SOURCE_TRIGGER,
    effective_parameters,
)
from flows.specs import flow_spec
from runs.models import PlanRun


def _rows(task_name: str, flow_name: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "task": task_name,
            "flow": flow_name,
            "name": name,
            "value": json_safe(entry.get("value")),
            "source": entry.get("source"),
        }
        for name, entry in parameters.items()
    ]


def run_parameter_rows(run: PlanRun) -> list[dict[str, Any]]:
    """One row per parameter of each flow task: task, flow, name, value, source."""
    tasks = {
        task["position"]: task
        for task in run.snapshot.get("tasks", [])
        if task["type"] == FLOW_TASK_TYPE
    }
    if not tasks:
        return []
    frozen = (run.snapshot.get("types") or {}).get(FLOW_TASK_TYPE) or {}
    layers = [
        (SOURCE_PLAN, frozen.get(SOURCE_PLAN) or {}),
        (SOURCE_TRIGGER, frozen.get(SOURCE_TRIGGER) or {}),
        (SOURCE_RUN, run.parameter_overrides or {}),
    ]
    jobs = {job.position: job for job in run.jobs.filter(task_type=FLOW_TASK_TYPE)}
    flows = Flow.objects.in_bulk([task["config"].get("flow") for task in tasks.values()])
    rows: list[dict[str, Any]] = []
    for position, task in sorted(tasks.items()):
        job = jobs.get(position)
        recorded = (
            job.result.get("parameters")
            if job is not None and isinstance(job.result, dict)
            else None
        )
        flow = flows.get(task["config"].get("flow"))
        flow_name = flow.name if flow is not None else task["config"].get("flowName", "?")
        if recorded:
            rows += _rows(task["name"], flow_name, recorded)
            continue
        if flow is None:
            continue
        try:
            declared = flow_spec(flow).parameters
            rows += _rows(
                task["name"], flow.name, effective_parameters(flow.name, declared, layers)
            )
        except FlowError:
            continue  # the job itself will fail and say why
    return rows
