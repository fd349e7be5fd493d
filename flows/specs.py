"""Turning a flow's rows into the plain dict `flows.engine.FlowSpec.from_dict` takes.

Storage comes from each dataset's or output's connection: none means the local STORAGE_ROOT
folder, a local connection its root folder, an S3 connection its bucket and prefix. Connection
secrets are decrypted only when `resolve_secrets=True`, which only the worker asks for while it
executes a job; otherwise S3 locations carry no credentials (enough for validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from connections.models import Connection, ConnectionKind
from flows.engine import FlowError, FlowSpec, RunLimits
from flows.models import Dataset, Flow, Output

STORAGE_KINDS = (ConnectionKind.LOCAL, ConnectionKind.S3)


def location_dict(connection: Connection | None, *, resolve_secrets: bool) -> dict[str, Any]:
    """The engine's storage location for `connection` (None: the STORAGE_ROOT folder).

    Raises FlowError for a connection that is not a storage connection or whose local root
    is not usable; with `resolve_secrets`, TaskError when a secret row has gone.
    """
    from connections.storage import StorageError, local_root

    if connection is None:
        return {"kind": "local", "root": str(Path(settings.STORAGE_ROOT).resolve())}
    if connection.kind == ConnectionKind.LOCAL:
        try:
            root = local_root(str(connection.settings.get("root", "")))
        except (StorageError, ValueError) as error:
            raise FlowError(f"The connection '{connection.name}': {error}") from None
        return {"kind": "local", "root": str(root.resolve())}
    if connection.kind == ConnectionKind.S3:
        data: dict[str, Any] = {
            "kind": "s3",
            "bucket": connection.settings.get("bucket", ""),
            "prefix": connection.settings.get("prefix", ""),
            "endpoint_url": connection.settings.get("endpointUrl") or None,
            "region": connection.settings.get("region") or None,
        }
        if resolve_secrets:
            from connections.resolve import connection_resolve

            secrets = connection_resolve(connection.pk, kinds=(ConnectionKind.S3,)).secrets
            data["access_key_id"] = secrets.get("accessKeyId")
            data["secret_access_key"] = secrets.get("secretAccessKey")
            data["session_token"] = secrets.get("sessionToken")
        return data
    raise FlowError(
        f"The connection '{connection.name}' is a {connection.get_kind_display()} connection; "
        "datasets and outputs need a local or S3 connection."
    )


def _dataset_dict(dataset: Dataset, *, resolve_secrets: bool) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "location": location_dict(dataset.connection, resolve_secrets=resolve_secrets),
        "path": dataset.path,
        "format": dataset.format,
        "options": dict(dataset.options or {}),
    }


def _output_dict(output: Output, *, resolve_secrets: bool) -> dict[str, Any]:
    return {
        "name": output.name,
        "recipe": output.recipe.name,
        "location": location_dict(output.connection, resolve_secrets=resolve_secrets),
        "path": output.path,
        "format": output.format,
        "mode": output.mode,
        "options": dict(output.options or {}),
    }


def recipe_dicts(flow: Flow) -> list[dict[str, Any]]:
    """The flow's recipes as the engine reads them (and plan packages write them):
    `{"name", "source": {kind: name}, "steps": [{"kind", ...options}]}`, steps in order."""
    return [
        {
            "name": recipe.name,
            "source": {recipe.source_kind: recipe.source_name},
            "steps": [
                {"kind": step.kind, **(step.options or {})}
                for step in sorted(recipe.steps.all(), key=lambda s: (s.position, s.pk))
            ],
        }
        for recipe in flow.recipes.prefetch_related("steps").order_by("id")
    ]


def flow_spec_dict(flow: Flow, *, resolve_secrets: bool = False) -> dict[str, Any]:
    """The flow as the engine's input dict (see the module docstring for secrets).

    Raises FlowError when a connection cannot be used for storage.
    """
    return {
        "name": flow.name,
        "parameters": [
            {"name": p.name, "type": p.type, "value": p.default}
            for p in flow.parameters.order_by("name")
        ],
        "datasets": [
            _dataset_dict(d, resolve_secrets=resolve_secrets)
            for d in flow.datasets.select_related("connection").order_by("id")
        ],
        "recipes": recipe_dicts(flow),
        "outputs": [
            _output_dict(o, resolve_secrets=resolve_secrets)
            for o in flow.outputs.select_related("recipe", "connection").order_by("id")
        ],
    }


def flow_spec(flow: Flow, *, resolve_secrets: bool = False) -> FlowSpec:
    """The engine's validated FlowSpec for `flow`; raises FlowError naming the first problem."""
    return FlowSpec.from_dict(flow_spec_dict(flow, resolve_secrets=resolve_secrets))


def flow_problem(flow: Flow) -> str | None:
    """Why the flow cannot run as it stands (the engine's message), or None when it is valid."""
    try:
        flow_spec(flow)
    except FlowError as error:
        return error.message
    return None


def run_limits() -> RunLimits:
    """The caps of one flow job, from the settings (FLOW_MAX_SECONDS, FLOWS_DUCKDB_*)."""
    return RunLimits(
        max_seconds=settings.FLOW_MAX_SECONDS,
        memory_limit=settings.FLOWS_DUCKDB_MEMORY_LIMIT,
        threads=settings.FLOWS_DUCKDB_THREADS,
        max_temp_directory_size=settings.FLOWS_DUCKDB_MAX_TEMP_SIZE,
    )
