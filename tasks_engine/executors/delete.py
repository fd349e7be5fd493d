"""The Delete task: remove a file or a folder from a storage connection (local folder or S3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks_engine.executors.base import (
    ConfigErrors,
    ExecutionContext,
    ExecutionResult,
    TaskType,
    add_error,
    bool_field,
    str_field,
)

TARGETS = ("file", "folder")
STORAGE_KINDS = ("local", "s3")


class DeleteTask(TaskType):
    """Config `{"connection": <local or s3 connection id>, "path", "target": "file|folder",
    "missingOk"}`.

    `path` may hold references; it is filled in, then checked against the connection's root
    before anything is deleted (`..`, absolute paths and links out of the root are refused).
    "" (or ".") with target folder empties the root but keeps it. The result holds
    `deletedCount` and a sample of the deleted paths.
    """

    type = "delete"
    label = "Delete files"
    connection_fields = ("connection",)
    reference_fields = ("path",)

    def clean_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigErrors]:
        from tasks_engine.connections import clean_connection_field
        from tasks_engine.storage.paths import PathEscapeError, clean_relative

        errors: ConfigErrors = {}
        connection = clean_connection_field(config, errors, kinds=STORAGE_KINDS)
        path = str_field(errors, config, "path", required=False, max_length=2000).strip()
        target = config.get("target") or "file"
        if target not in TARGETS:
            add_error(errors, "target", "Choose file or folder.")
        if "path" not in errors and "{{" not in path:
            # A path with references is checked again once they are filled in, at run time.
            try:
                relative = clean_relative(path)
            except PathEscapeError as exc:
                add_error(errors, "path", str(exc))
            else:
                if not relative and target == "file":
                    add_error(errors, "path", "Give the path of the file to delete.")
        clean = {
            "connection": connection,
            "path": path,
            "target": target,
            "missingOk": bool_field(errors, config, "missingOk", default=False),
        }
        for name in sorted(set(config) - set(clean)):
            add_error(errors, name, "Unknown field.")
        return clean, errors

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        from tasks_engine.connections import connection_resolve
        from tasks_engine.errors import JobError
        from tasks_engine.storage import PathEscapeError, StorageError, backend_for

        config = spec["config"]
        connection = connection_resolve(config["connection"], kinds=STORAGE_KINDS)
        path = context.render(config["path"])
        target = config["target"]
        where = f"'{path}'" if path else "the root"
        context.log(f"Deleting the {target} {where} from connection '{connection.name}'.")
        try:
            backend = backend_for(connection.kind, connection.settings, connection.secrets)
            deleted = backend.delete(path, target=target, missing_ok=config["missingOk"])
        except PathEscapeError as exc:
            raise JobError(f"Refused, nothing was deleted: {exc}") from None
        except StorageError as exc:
            raise JobError(str(exc)) from None
        if deleted.deleted_count == 0 and config["missingOk"]:
            context.log("Nothing to delete; the task allows a missing target.")
        else:
            context.log(f"Deleted {deleted.deleted_count} object(s).")
        for sample in deleted.paths_sample:
            context.log(f"Deleted {sample}")
        return ExecutionResult(
            status="succeeded",
            result={
                "connection": connection.name,
                "path": path,
                "target": target,
                "deletedCount": deleted.deleted_count,
                "deletedSample": deleted.paths_sample,
            },
        )
