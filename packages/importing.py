"""Import: a package becomes a new plan owned by the importer, and new flows for its flow files.

Everything goes through the services the editor uses (`flows.services.flow_create`,
`plans.services.plan_create`, `plan_schedule_update`, `plan_override_set`), inside one
transaction: any problem raises PackageError naming where it is, and nothing is saved.

A flow named in plan.json without a file in the package is looked up by name among the flows
the importer can see. Connections are looked up by name among the connections the importer
can use; ids are never accepted from a file, so a package cannot point at someone else's
connection or flow. A name already taken gets " (imported)", then " (imported 2)", ...
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from connections.selectors import connections_visible_to
from core.errors import ServiceValidationError
from flows.models import Flow
from flows.parameters import FLOW_TASK_TYPE
from flows.services import plan_override_set
from packages.format import (
    FORMAT_VERSION,
    PackageError,
    PackageErrors,
    add_error,
    free_name,
)
from packages.import_flows import resolve_flows
from packages.reading import ReadPackage, read_package
from plans.models import OverlapPolicy, Plan
from plans.services import plan_create
from plans.task_types import REGISTRY, TaskType
from plans.triggers.services import plan_schedule_update

PLAN_FIELDS = frozenset(
    {
        "formatVersion",
        "exportedAt",
        "name",
        "description",
        "overlapPolicy",
        "tasks",
        "flows",
        "parameterOverrides",
        "secretsRequired",
    }
)
TASK_FIELDS = frozenset({"ref", "type", "name", "config", "runWhen", "upstream"})
_SECRET_PATH = re.compile(r"^tasks\[(\d+)\]\.config\.(.+)$")


@dataclass
class ImportedPlan:
    """The result of an import: the new plan, the flows made for it, and the secret paths
    (as in plan.json's `secretsRequired`) that are still to be filled in."""

    plan: Plan
    flows: list[Flow] = field(default_factory=list)
    secrets_missing: list[str] = field(default_factory=list)


def _task_type(task: Any) -> TaskType | None:
    """The registered type of a plan.json task (http when not given); None if unknown."""
    name = task.get("type", "http") if isinstance(task, Mapping) else None
    return REGISTRY.get(name) if isinstance(name, str) else None


# --- plan.json ----------------------------------------------------------------------------


def _check_plan_fields(plan: Mapping[str, Any], errors: PackageErrors) -> None:
    version = plan.get("formatVersion")
    if version is None:
        add_error(errors, "formatVersion", "Missing: this is not a plan.json of a plan export.")
        raise PackageError(errors)
    if version != FORMAT_VERSION or isinstance(version, bool):
        add_error(
            errors,
            "formatVersion",
            f"Unknown format version {version!r}; this server reads version {FORMAT_VERSION}.",
        )
        raise PackageError(errors)
    for name in sorted(set(plan) - PLAN_FIELDS):
        add_error(errors, name, "Unknown field.")
    if not isinstance(plan.get("description", ""), str):
        add_error(errors, "description", "Must be text.")
    if plan.get("overlapPolicy", OverlapPolicy.ALLOW) not in OverlapPolicy.values:
        add_error(errors, "overlapPolicy", f"Choose one of {', '.join(OverlapPolicy.values)}.")
    for name in ("flows", "parameterOverrides"):
        if not isinstance(plan.get(name, {}), Mapping):
            add_error(errors, name, "Must be an object.")
    required = plan.get("secretsRequired", [])
    if not isinstance(required, list) or not all(isinstance(p, str) for p in required):
        add_error(errors, "secretsRequired", "Give a list of paths.")


def _check_supplied_secrets(
    supplied: Mapping[str, Any], required: list[str], tasks: Any, errors: PackageErrors
) -> dict[str, str]:
    """The supplied secret values by path; each path must be one plan.json asks for."""
    clean: dict[str, str] = {}
    for path, value in supplied.items():
        match = _SECRET_PATH.match(str(path))
        if path not in required or match is None:
            add_error(errors, f"secrets.{path}", "The package does not ask for this secret.")
            continue
        index, rest = int(match[1]), match[2]
        task_type = _task_type(
            tasks[index] if isinstance(tasks, list) and index < len(tasks) else None
        )
        if task_type is None or not (
            rest in task_type.secret_fields or rest.startswith("headers.")
        ):
            add_error(errors, f"secrets.{path}", "Not a secret field of this task.")
        elif not isinstance(value, str) or not value or "\x00" in value:
            add_error(errors, f"secrets.{path}", "Must be non-empty text, without NUL characters.")
        else:
            clean[path] = value
    return clean


# --- tasks --------------------------------------------------------------------------------


def _task_input(
    index: int,
    raw: Any,
    flows: Mapping[str, Flow],
    declared: Collection[str],
    connections: Mapping[str, int],
    supplied: Mapping[str, str],
    errors: PackageErrors,
) -> Any:
    """One plan.json task as `plan_create` takes it: flow keys and connection names become
    ids, supplied secrets go in. Anything else is left for the editor's validation."""
    if not isinstance(raw, Mapping):
        return raw
    prefix = f"tasks[{index}]"
    for name in sorted(set(raw) - TASK_FIELDS):
        add_error(errors, f"{prefix}.{name}", "Unknown field.")
    task = {k: v for k, v in raw.items() if k in TASK_FIELDS}
    task_type = _task_type(task)
    if task_type is None or not isinstance(task.get("config", {}), Mapping):
        return task
    config = dict(task.get("config", {}))
    for name in task_type.resource_fields("connection"):
        value = config.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            add_error(errors, f"{prefix}.config.{name}", "Give the connection's name.")
        elif value not in connections:
            add_error(
                errors,
                f"{prefix}.config.{name}",
                f"No connection named {value!r} among the connections you can use.",
            )
        else:
            config[name] = connections[value]
    if task.get("type") == FLOW_TASK_TYPE and config.get("flow") is not None:
        key = config["flow"]
        if isinstance(key, str) and key in declared and key not in flows:
            pass  # the flow itself failed, and its error says why
        elif not isinstance(key, str) or key not in flows:
            add_error(
                errors,
                f"{prefix}.config.flow",
                f"Give the key of a flow listed under flows; {key!r} is not one.",
            )
        else:
            config["flow"] = flows[key].pk
    for path, value in supplied.items():
        match = _SECRET_PATH.match(path)
        if match is None or int(match[1]) != index:
            continue
        if match[2].startswith("headers."):
            headers = config.get("headers")
            config["headers"] = {**(headers if isinstance(headers, Mapping) else {})}
            config["headers"][match[2][len("headers.") :]] = value
        else:
            config[match[2]] = value
    task["config"] = config
    return task


def _connections_named(owner: AbstractBaseUser, tasks: list[Any]) -> dict[str, int]:
    names = {
        value
        for task in tasks
        if (task_type := _task_type(task)) is not None and isinstance(task.get("config"), Mapping)
        for field_name in task_type.resource_fields("connection")
        if isinstance(value := task["config"].get(field_name), str)
    }
    rows = connections_visible_to(owner).filter(name__in=names)
    return dict(rows.values_list("name", "pk"))


def _set_overrides(
    plan: Plan, flows: Mapping[str, Flow], overrides: Mapping[str, Any], errors: PackageErrors
) -> None:
    for key, values in overrides.items():
        where = f"parameterOverrides.{key}"
        flow = flows.get(key)
        if flow is None:
            add_error(errors, where, "Give the key of a flow listed under flows.")
            continue
        if not isinstance(values, Mapping):
            add_error(errors, where, "Give an object of parameter names to values.")
            continue
        for name, value in values.items():
            try:
                plan_override_set(plan=plan, flow=flow, name=str(name), value=value)
            except ServiceValidationError as error:
                for messages in error.errors.values():
                    errors.setdefault(f"{where}.{name}", []).extend(messages)


# --- the import ---------------------------------------------------------------------------


@transaction.atomic
def plan_import_package(
    *, owner: AbstractBaseUser, package: ReadPackage, secrets: Mapping[str, Any] | None = None
) -> ImportedPlan:
    """Create a plan owned by `owner` from an opened package (see the module docstring).

    `secrets` maps paths of plan.json's `secretsRequired` to values. Raises PackageError
    with every problem found, keyed as `PackageError` says; nothing is saved then.
    """
    data = package.plan
    errors: PackageErrors = {}
    _check_plan_fields(data, errors)
    tasks = data.get("tasks")
    required: list[str] = (
        list(data.get("secretsRequired") or []) if "secretsRequired" not in errors else []
    )
    supplied = _check_supplied_secrets(secrets or {}, required, tasks, errors)
    if errors:
        raise PackageError(errors)
    declared = data.get("flows") or {}
    flows, created = resolve_flows(declared, package.flows, owner, errors)
    if isinstance(tasks, list):
        connections = _connections_named(owner, tasks)
        tasks = [
            _task_input(index, raw, flows, declared, connections, supplied, errors)
            for index, raw in enumerate(tasks)
        ]
    if errors:
        raise PackageError(errors)
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        name = free_name(name.strip(), lambda n: Plan.objects.filter(owner=owner, name=n).exists())
    try:
        plan = plan_create(
            owner=owner,
            name=name,  # type: ignore[arg-type]  # plan_create reports a missing name
            description=data.get("description", ""),
            tasks=tasks,  # type: ignore[arg-type]  # and a task list that is not a list
        )
    except ServiceValidationError as error:
        raise PackageError(error.errors) from None
    policy = data.get("overlapPolicy", OverlapPolicy.ALLOW)
    if policy != OverlapPolicy.ALLOW:
        plan_schedule_update(plan=plan, overlap_policy=policy)
    _set_overrides(plan, flows, data.get("parameterOverrides") or {}, errors)
    if errors:
        raise PackageError(errors)
    missing = [path for path in required if path not in supplied]
    audit_record(action=AuditAction.IMPORTED, obj=plan, flows=[f.name for f in created])
    return ImportedPlan(plan=plan, flows=created, secrets_missing=missing)


def plan_import(
    *, owner: AbstractBaseUser, data: bytes, secrets: Mapping[str, Any] | None = None
) -> ImportedPlan:
    """Import an upload (ZIP or plain plan.json bytes) as a new plan of `owner`.

    Raises PackageError (nothing saved) for a file that cannot be read or a plan, flow, task,
    connection, parameter override or secret that does not pass the editor's checks.
    """
    return plan_import_package(owner=owner, package=read_package(data), secrets=secrets)
