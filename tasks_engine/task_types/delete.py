"""The Delete task: remove a file or a folder from a storage connection (local folder or S3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from connections.resolve import connection_resolve
from connections.storage import StorageError, backend_for
from connections.storage.paths import PathEscapeError, clean_relative
from core.errors import TaskError
from plans.task_types import register
from plans.task_types.fields import ConnectionField, StrictBooleanField, StrictCharField
from tasks_engine.task_types.base import ExecutableTaskType, ExecutionContext, ExecutionResult

TARGETS = ("file", "folder")
STORAGE_KINDS = ("local", "s3")


class DeleteConfig(serializers.Serializer):
    """A Delete task's config."""

    connection = ConnectionField(
        kinds=STORAGE_KINDS, help_text="A local or S3 connection the plan's owner may use."
    )
    target = serializers.ChoiceField(
        choices=TARGETS,
        default="file",
        help_text="A file, or a folder with everything in it.",
        error_messages={"invalid_choice": "Choose file or folder."},
    )
    path = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Relative to the connection's root; may hold references. Empty with target "
        "folder empties the root but keeps it.",
        style={"references": True},
    )
    missingOk = StrictBooleanField(
        default=False, label="Missing is OK", help_text="Succeed when there is nothing to delete."
    )

    def validate_path(self, value: str) -> str:
        path = value.strip()
        if "{{" not in path:
            # A path with references is checked again once they are filled in, at run time.
            try:
                clean_relative(path)
            except PathEscapeError as exc:
                raise serializers.ValidationError(str(exc)) from None
        return path

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        path = attrs.get("path", "")
        if "{{" not in path and not clean_relative(path) and attrs.get("target") == "file":
            raise serializers.ValidationError({"path": "Give the path of the file to delete."})
        return attrs


class DeleteTask(ExecutableTaskType):
    """Remove a file or a folder from a storage connection (local folder or S3).

    `path` may hold references; it is filled in, then checked against the connection's root
    before anything is deleted (`..`, absolute paths and links out of the root are refused).
    The result holds `deletedCount` and a sample of the deleted paths.
    """

    name = "delete"
    label = "Delete files"
    description = "Delete a file or a folder from a local or S3 storage connection."
    config_serializer = DeleteConfig
    reference_fields = ("path",)

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
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
            raise TaskError(f"Refused, nothing was deleted: {exc}") from None
        except StorageError as exc:
            raise TaskError(str(exc)) from None
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


register(DeleteTask())
