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
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from flows.engine import FlowError, FlowSpec
from flows.models import Flow
from flows.parameters import FLOW_TASK_TYPE
from flows.selectors import flows_visible_to
from flows.services import FlowValidationError, flow_create, plan_override_set
from plans.models import OverlapPolicy, Plan
from plans.packages.format import (
    FLOW_KEY,
    FORMAT_VERSION,
    PackageError,
    PackageErrors,
    add_error,
    flow_member,
)
from plans.packages.reading import ReadPackage, read_package
from plans.services import plan_create
from plans.triggers.services import plan_schedule_update
from plans.validation import PlanValidationError
from tasks_engine.connections import connections_visible_to
from tasks_engine.executors import REGISTRY
from tasks_engine.executors.base import TaskType

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
FLOW_FIELDS = frozenset({"name", "description", "parameters", "datasets", "recipes", "outputs"})
NAME_MAX_LENGTH = 200
_SECRET_PATH = re.compile(r"^tasks\[(\d+)\]\.config\.(.+)$")


@dataclass
class ImportedPlan:
    """The result of an import: the new plan, the flows made for it, and the secret paths
    (as in plan.json's `secretsRequired`) that are still to be filled in."""

    plan: Plan
    flows: list[Flow] = field(default_factory=list)
    secrets_missing: list[str] = field(default_factory=list)


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `name (imported)`, `name (imported 2)`, ... : the first one not `taken`."""
    if not taken(name):
        return name
    for n in range(1, 1000):
        suffix = " (imported)" if n == 1 else f" (imported {n})"
        candidate = name[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
        if not taken(candidate):
            return candidate
    raise PackageError({"name": [f"No free name like {name!r}; rename something first."]})


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


# --- flows ------------------------------------------------------------------------------

# Per list of a flow file: its fields, which are required, and the text fields' limits.
_FLOW_ITEMS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "parameters": (frozenset({"name", "type", "default"}), ("name", "type")),
    "datasets": (frozenset({"name", "connection", "path", "format", "options"}), ("name", "path")),
    "recipes": (frozenset({"name", "source", "steps"}), ("name", "source")),
    "outputs": (
        frozenset({"name", "recipe", "connection", "path", "format", "mode", "options"}),
        ("name", "recipe", "path"),
    ),
}
_TEXT_LIMITS = {"name": 100, "recipe": 100, "path": 1000, "type": 10, "format": 10, "mode": 10}
# Datasets and outputs are checked by the engine before any row exists; the location does not
# matter for that check.
_ANY_LOCATION = {"kind": "local", "root": "/"}


def _check_flow_item(
    kind: str, item: Any, where: str, errors: PackageErrors, connections: dict[str, int | None]
) -> None:
    if not isinstance(item, Mapping):
        add_error(errors, where, "Must be an object.")
        return
    allowed, required = _FLOW_ITEMS[kind]
    for name in sorted(set(item) - allowed):
        add_error(errors, f"{where}.{name}", "Unknown field.")
    for name in required:
        if name not in item:
            add_error(errors, f"{where}.{name}", "This field is required.")
    for name, limit in _TEXT_LIMITS.items():
        value = item.get(name)
        if name in item and name in allowed and not isinstance(value, str):
            add_error(errors, f"{where}.{name}", "Must be text.")
        elif isinstance(value, str) and len(value) > limit:
            add_error(errors, f"{where}.{name}", f"At most {limit} characters.")
    if "options" in item and not isinstance(item["options"], Mapping):
        add_error(errors, f"{where}.options", "Must be an object.")
    connection = item.get("connection")
    if connection is not None and not isinstance(connection, str):
        add_error(errors, f"{where}.connection", "Give the connection's name, or null.")
    elif isinstance(connection, str) and connections.get(connection) is None:
        add_error(
            errors,
            f"{where}.connection",
            f"No connection named {connection!r} among the connections you can use.",
        )
    if kind == "recipes":
        source = item.get("source")
        if "source" in item and not (
            isinstance(source, Mapping)
            and len(source) == 1
            and all(isinstance(v, str) and len(v) <= 100 for v in source.values())
        ):
            add_error(errors, f"{where}.source", 'Give {"dataset": name} or {"recipe": name}.')
        steps = item.get("steps", [])
        if not isinstance(steps, list) or not all(
            isinstance(s, Mapping) and isinstance(s.get("kind"), str) for s in steps
        ):
            add_error(errors, f"{where}.steps", "Give a list of steps, each with a kind.")


def _flow_definition(
    key: str, data: Any, owner: AbstractBaseUser, errors: PackageErrors
) -> dict[str, Any] | None:
    """The flow file checked and turned into `flow_create`'s definition (connection names
    become ids); None, with errors added, when it is not usable."""
    member = flow_member(key)
    if not isinstance(data, Mapping):
        add_error(errors, member, "Must be a JSON object.")
        return None
    before = len(errors)
    for name in sorted(set(data) - FLOW_FIELDS):
        add_error(errors, f"{member}:{name}", "Unknown field.")
    if not isinstance(data.get("description", ""), str):
        add_error(errors, f"{member}:description", "Must be text.")
    lists = {kind: data.get(kind, []) for kind in _FLOW_ITEMS}
    names = {
        item.get("connection")
        for items in lists.values()
        if isinstance(items, list)
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("connection"), str)
    }
    visible = connections_visible_to(owner).filter(name__in=names)
    connections: dict[str, int | None] = dict(visible.values_list("name", "pk"))
    for kind, items in lists.items():
        if not isinstance(items, list):
            add_error(errors, f"{member}:{kind}", "Must be a list.")
            continue
        for index, item in enumerate(items):
            _check_flow_item(kind, item, f"{member}:{kind}[{index}]", errors, connections)
    if len(errors) > before:
        return None
    definition = {
        kind: [
            {**item, "connection": connections[item["connection"]]}
            if item.get("connection") is not None
            else dict(item)
            for item in items
        ]
        for kind, items in lists.items()
    }
    engine_input: dict[str, Any] = {
        "name": key,
        "parameters": [
            {"name": p["name"], "type": p["type"], "value": p.get("default")}
            for p in definition["parameters"]
        ],
        "datasets": [{**d, "location": _ANY_LOCATION} for d in definition["datasets"]],
        "recipes": definition["recipes"],
        "outputs": [{**o, "location": _ANY_LOCATION} for o in definition["outputs"]],
    }
    for item in [*engine_input["datasets"], *engine_input["outputs"]]:
        item.pop("connection", None)
        item.setdefault("format", "csv")
    try:
        FlowSpec.from_dict(engine_input)
    except FlowError as error:
        add_error(errors, member, error.message)
        return None
    return definition


def _create_flow(
    key: str,
    data: Mapping[str, Any],
    declared_name: str,
    owner: AbstractBaseUser,
    errors: PackageErrors,
) -> Flow | None:
    definition = _flow_definition(key, data, owner, errors)
    if definition is None:
        return None
    member = flow_member(key)
    name = data.get("name", declared_name)
    if not isinstance(name, str) or not name.strip():
        add_error(errors, f"{member}:name", "This field is required.")
        return None
    if len(name) > NAME_MAX_LENGTH:
        add_error(errors, f"{member}:name", f"At most {NAME_MAX_LENGTH} characters.")
        return None
    for _attempt in range(3):
        chosen = free_name(name.strip(), lambda n: Flow.objects.filter(name=n).exists())
        try:
            return flow_create(
                owner=owner,
                name=chosen,
                description=data.get("description", ""),
                definition=definition,
            )
        except FlowValidationError as error:
            for path, messages in error.errors.items():
                where = member if path == "flow" else f"{member}:{path}"
                errors.setdefault(where, []).extend(messages)
            return None
        except IntegrityError:
            continue  # another import took the name between the check and the insert
    add_error(errors, f"{member}:name", "The name kept being taken; try again.")
    return None


def _resolve_flows(
    declared: Mapping[str, Any],
    files: Mapping[str, Any],
    owner: AbstractBaseUser,
    errors: PackageErrors,
) -> tuple[dict[str, Flow], list[Flow]]:
    """Each flow key of plan.json -> its Flow: a new one from its file, else the flow of that
    name the importer can see. Also returns the flows created."""
    flows: dict[str, Flow] = {}
    created: list[Flow] = []
    for key, entry in declared.items():
        where = f"flows.{key}"
        if not isinstance(key, str) or not FLOW_KEY.match(key):
            add_error(errors, where, "A flow key uses letters, digits, _ or - (at most 64).")
            continue
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            add_error(errors, f"{where}.name", "This field is required.")
            continue
        if key in files:
            flow = _create_flow(key, files[key], name, owner, errors)
            if flow is not None:
                created.append(flow)
        else:
            flow = flows_visible_to(owner).filter(name=name).first()
            if flow is None:
                add_error(
                    errors,
                    where,
                    f"The package has no {flow_member(key)} and you have no flow named "
                    f"{name!r}; add the file or create the flow first.",
                )
        if flow is not None:
            flows[key] = flow
    return flows, created


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
    for name in task_type.connection_fields:
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
        for field_name in task_type.connection_fields
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
            except FlowValidationError as error:
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
    flows, created = _resolve_flows(declared, package.flows, owner, errors)
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
    except PlanValidationError as error:
        raise PackageError(error.errors) from None
    policy = data.get("overlapPolicy", OverlapPolicy.ALLOW)
    if policy != OverlapPolicy.ALLOW:
        plan_schedule_update(plan=plan, overlap_policy=policy)
    _set_overrides(plan, flows, data.get("parameterOverrides") or {}, errors)
    if errors:
        raise PackageError(errors)
    missing = [path for path in required if path not in supplied]
    return ImportedPlan(plan=plan, flows=created, secrets_missing=missing)


def plan_import(
    *, owner: AbstractBaseUser, data: bytes, secrets: Mapping[str, Any] | None = None
) -> ImportedPlan:
    """Import an upload (ZIP or plain plan.json bytes) as a new plan of `owner`.

    Raises PackageError (nothing saved) for a file that cannot be read or a plan, flow, task,
    connection, parameter override or secret that does not pass the editor's checks.
    """
    return plan_import_package(owner=owner, package=read_package(data), secrets=secrets)
