"""Import of a package's flows: each flow file checked and created through `flow_create`, or a
flow named in plan.json without a file resolved by name among the flows the importer can see.

Connections in flow files go by name, looked up among the connections the importer may use;
ids are never taken from a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError

from connections.selectors import connections_visible_to
from core.errors import ServiceValidationError
from flows.engine import FlowError, FlowSpec
from flows.engine.sqlcheck import recipe_sql_errors
from flows.models import Flow
from flows.selectors import flows_visible_to
from flows.services import flow_create
from packages.format import (
    FLOW_KEY,
    NAME_MAX_LENGTH,
    PackageErrors,
    add_error,
    flow_member,
    free_name,
)

FLOW_FIELDS = frozenset({"name", "description", "parameters", "datasets", "recipes", "outputs"})
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
    for path, messages in recipe_sql_errors(lists["recipes"]).items():
        errors.setdefault(f"{member}:{path}", []).extend(messages)
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
        except ServiceValidationError as error:
            for path, messages in error.errors.items():
                where = member if path == "flow" else f"{member}:{path}"
                errors.setdefault(where, []).extend(messages)
            return None
        except IntegrityError:
            continue  # another import took the name between the check and the insert
    add_error(errors, f"{member}:name", "The name kept being taken; try again.")
    return None


def resolve_flows(
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
