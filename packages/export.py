"""Export: a plan and the flows its tasks use, as plan.json and flows/<key>.json in a ZIP.

What is left out, and why (docs/decisions/export-import.md): triggers and their overrides (as in
the seed product), the run history, the pause state, and every secret. A task's secret fields
and the values of its credential-like HTTP headers are not written; their paths are listed in
`secretsRequired` so an importer knows what to fill in. Connections are written by name, never
with their settings or secrets. Datasets point at storage the plan does not own, so their
paths are written, never the files behind them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from audit.models import AuditAction
from audit.services import audit_record
from connections.models import Connection
from flows.models import Flow
from flows.parameters import FLOW_TASK_TYPE, plan_overrides
from flows.selectors import flows_visible_to
from flows.specs import recipe_dicts
from packages.format import FORMAT_VERSION, PLAN_MEMBER, ZIP_CONTENT_TYPE, flow_member
from plans.models import Plan, PlanTask
from plans.refs import derive_ref
from plans.snapshot import resolved_upstream
from plans.task_types import REGISTRY
from tasks_engine.http_client import is_credential_header

User = AbstractBaseUser | AnonymousUser


@dataclass
class PlanPackage:
    """The files of one export: plan.json's content and each carried flow's file by key."""

    plan: dict[str, Any]
    flows: dict[str, dict[str, Any]]

    def to_zip(self) -> bytes:
        """The package as ZIP bytes (deflated, members in a stable order)."""
        buffer = io.BytesIO()
        stamp = timezone.now().timetuple()[:6]
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            members = {PLAN_MEMBER: self.plan} | {
                flow_member(key): data for key, data in sorted(self.flows.items())
            }
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16  # rw-r--r-- once unzipped
                archive.writestr(info, dump_json(data))
        return buffer.getvalue()


def dump_json(data: Mapping[str, Any]) -> bytes:
    """A package file's bytes: indented UTF-8 JSON, readable and diffable."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def package_filename(plan: Plan) -> str:
    """The download's file name, e.g. `nightly-export.plan.zip`."""
    return f"{slugify(plan.name) or 'plan'}.plan.zip"


def package_download(plan: Plan, *, user: User) -> HttpResponse:
    """The plan's package as a ZIP download (the page's Export button and the API)."""
    response = HttpResponse(plan_package(plan, user=user).to_zip(), content_type=ZIP_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{package_filename(plan)}"'
    audit_record(action=AuditAction.EXPORTED, obj=plan, actor=user)
    return response


def _connection_names(ids: set[int]) -> dict[int, str]:
    return dict(Connection.objects.filter(pk__in=ids).values_list("pk", "name"))


def flow_file(flow: Flow) -> dict[str, Any]:
    """One flow as its package file: parameters, datasets, recipes with their steps, outputs.

    Connections appear by name (None: the STORAGE_ROOT folder). Webhooks and e-mail
    notifications are not part of it: they are the exporting workspace's own settings.
    """
    datasets = list(flow.datasets.order_by("id"))
    outputs = list(flow.outputs.select_related("recipe").order_by("id"))
    names = _connection_names(
        {row.connection_id for row in [*datasets, *outputs] if row.connection_id is not None}
    )
    return {
        "name": flow.name,
        "description": flow.description,
        "parameters": [
            {"name": p.name, "type": p.type, "default": p.default}
            for p in flow.parameters.order_by("name")
        ],
        "datasets": [
            {
                "name": d.name,
                "connection": names.get(d.connection_id) if d.connection_id else None,
                "path": d.path,
                "format": d.format,
                "options": dict(d.options or {}),
            }
            for d in datasets
        ],
        "recipes": recipe_dicts(flow),
        "outputs": [
            {
                "name": o.name,
                "recipe": o.recipe.name,
                "connection": names.get(o.connection_id) if o.connection_id else None,
                "path": o.path,
                "format": o.format,
                "mode": o.mode,
                "options": dict(o.options or {}),
            }
            for o in outputs
        ],
    }


class _FlowKeys:
    """Local keys for the flows a plan uses, in order of first use; each flow once."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.names: dict[str, str] = {}

    def key_for(self, flow_id: Any, name: str) -> str:
        if isinstance(flow_id, int) and flow_id in self.by_id:
            return self.by_id[flow_id]
        key = derive_ref(name or "flow", self.names)
        self.names[key] = name
        if isinstance(flow_id, int):
            self.by_id[flow_id] = key
        return key


def _task_config(
    index: int,
    task: PlanTask,
    flow_keys: _FlowKeys,
    flow_names: Mapping[int, str],
    connections: Mapping[int, str],
    required: list[str],
) -> dict[str, Any]:
    task_type = REGISTRY.get(task.type)
    config = dict(task.config or {})
    prefix = f"tasks[{index}].config"
    if task_type is None:
        return config
    for name in task_type.secret_fields:
        config.pop(name, None)
        if name in (task.secrets or {}):
            required.append(f"{prefix}.{name}")
    for name in task_type.resource_fields("connection"):
        value = config.get(name)
        config[name] = connections.get(value) if isinstance(value, int) else None
    headers = config.get("headers")
    if isinstance(headers, Mapping):
        kept = {}
        for header, value in headers.items():
            if is_credential_header(str(header)):
                required.append(f"{prefix}.headers.{header}")
            else:
                kept[header] = value
        config["headers"] = kept
    if task.type == FLOW_TASK_TYPE:
        flow_id = config.get("flow")
        name = flow_names.get(flow_id, "") if isinstance(flow_id, int) else ""
        name = name or str(config.get("flowName") or "")
        config = {
            "flow": flow_keys.key_for(flow_id, name),
            "outputs": list(config.get("outputs") or []),
        }
    return config


def plan_package(plan: Plan, *, user: User) -> PlanPackage:
    """Build the package of `plan` as `user` exports it (the caller checked they may see it).

    A flow the user may not see, or one deleted since the plan was saved, is named in plan.json
    without a file: an importer resolves it by name among the flows they can see.
    """
    tasks = list(plan.tasks.order_by("position", "id"))
    upstream = resolved_upstream(tasks)
    flow_ids = {
        t.config.get("flow")
        for t in tasks
        if t.type == FLOW_TASK_TYPE and isinstance(t.config.get("flow"), int)
    }
    flows = {flow.pk: flow for flow in Flow.objects.filter(pk__in=flow_ids)}
    visible = set(flows_visible_to(user).filter(pk__in=flow_ids).values_list("pk", flat=True))
    connections = _connection_names(
        {
            value
            for t in tasks
            if t.type in REGISTRY
            for name in REGISTRY[t.type].resource_fields("connection")
            if isinstance(value := t.config.get(name), int)
        }
    )
    flow_keys = _FlowKeys()
    flow_names = {pk: flow.name for pk, flow in flows.items()}
    required: list[str] = []
    task_entries = [
        {
            "ref": task.ref,
            "type": task.type,
            "name": task.name,
            "config": _task_config(index, task, flow_keys, flow_names, connections, required),
            "runWhen": task.run_when,
            "upstream": list(upstream[task.pk]),
        }
        for index, task in enumerate(tasks)
    ]
    files = {
        key: flow_file(flows[flow_id])
        for flow_id, key in flow_keys.by_id.items()
        if flow_id in flows and flow_id in visible
    }
    key_of_name = {
        flows[flow_id].name: key for flow_id, key in flow_keys.by_id.items() if flow_id in flows
    }
    overrides = {
        key_of_name[flow_name]: dict(values)
        for flow_name, values in sorted(plan_overrides(plan).items())
        if flow_name in key_of_name
    }
    plan_json: dict[str, Any] = {
        "formatVersion": FORMAT_VERSION,
        "exportedAt": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": plan.name,
        "description": plan.description,
        "overlapPolicy": plan.overlap_policy,
        "tasks": task_entries,
        "flows": {key: {"name": name} for key, name in flow_keys.names.items()},
        "parameterOverrides": overrides,
        "secretsRequired": required,
    }
    return PlanPackage(plan=plan_json, flows=files)
