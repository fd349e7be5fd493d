"""Validation of a plan's task list, shared by the admin, the API and import.

Errors are keyed by the camelCase path of the bad field (`tasks[0].config.url`), the shape
the API returns and the admin maps back onto its form fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from core.errors import FieldErrors, add_error, merge_errors
from plans.models import PlanTask, RunWhen
from plans.references.check import check_task_references
from plans.refs import derive_ref, ref_problem
from plans.task_types import REGISTRY, SaveContext

MAX_TASKS = 200
DEFAULT_TASK_TYPE = "http"
_UNSET: Any = object()


@dataclass
class TaskInput:
    """One validated task, ready to be saved. `secrets` maps field -> new value, or None to remove."""

    id: int | None
    name: str
    ref: str
    type: str
    config: dict[str, Any]
    run_when: str
    upstream: list[str] | None
    secrets: dict[str, str | None] = field(default_factory=dict)


def clean_tasks(
    raw_tasks: Any,
    *,
    existing: Sequence[PlanTask] = (),
    owner: AbstractBaseUser | None = None,
    saver: AbstractBaseUser | None = None,
) -> tuple[list[TaskInput], FieldErrors]:
    """Validate a full task list (the order given is the execution order).

    `existing` are the plan's current tasks: an entry with an `id` among them keeps that task
    (and its secrets unless replaced); an unknown id is an error.
    `owner` is the plan's owner: runs act with the owner's access, so every connection and flow
    a task names must be one the owner may use; `saver` is whoever saves, who must be able to
    use every connection and flow that is new or changed in this save (see
    `plans.task_types.SaveContext`). The services always pass the owner; a caller that only
    checks early for better messages (a form, a serializer) may leave both out.
    """
    errors: FieldErrors = {}
    if not isinstance(raw_tasks, list):
        add_error(errors, "tasks", "Give a list of tasks.")
        return [], errors
    if not raw_tasks:
        add_error(errors, "tasks", "A plan needs at least one task.")
        return [], errors
    if len(raw_tasks) > MAX_TASKS:
        add_error(errors, "tasks", f"A plan has at most {MAX_TASKS} tasks.")
        return [], errors
    by_id = {task.pk: task for task in existing}
    given_refs = [t.get("ref") for t in raw_tasks if isinstance(t, Mapping) and t.get("ref")]
    taken: set[str] = {str(r) for r in given_refs}
    seen_ids: set[int] = set()
    cleaned: list[TaskInput] = []
    for index, raw in enumerate(raw_tasks):
        prefix = f"tasks[{index}]"
        if not isinstance(raw, Mapping):
            add_error(errors, prefix, "Each task must be an object.")
            continue
        task_id = raw.get("id")
        if task_id is not None:
            if not isinstance(task_id, int) or task_id not in by_id:
                add_error(errors, f"{prefix}.id", "No task with this id in this plan.")
            elif task_id in seen_ids:
                add_error(errors, f"{prefix}.id", "This task is listed twice.")
            else:
                seen_ids.add(task_id)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            add_error(errors, f"{prefix}.name", "This field is required.")
            name = ""
        elif len(name) > 200:
            add_error(errors, f"{prefix}.name", "At most 200 characters.")
        type_ = raw.get("type", DEFAULT_TASK_TYPE)
        if not isinstance(type_, str):
            type_ = repr(type_)  # a list or an object is no type name (and cannot be hashed)
        if type_ not in REGISTRY:
            add_error(errors, f"{prefix}.type", f"Choose one of {', '.join(sorted(REGISTRY))}.")
        ref = raw.get("ref")
        if ref in (None, ""):
            current = by_id.get(task_id) if isinstance(task_id, int) else None
            ref = (
                current.ref
                if current is not None and current.ref not in taken
                else derive_ref(name, taken)
            )
            taken.add(ref)
        elif not isinstance(ref, str) or (problem := ref_problem(ref)):
            add_error(errors, f"{prefix}.ref", problem if isinstance(ref, str) else "Must be text.")
        run_when = raw.get("runWhen", RunWhen.ON_SUCCESS)
        if run_when not in RunWhen.values:
            add_error(errors, f"{prefix}.runWhen", f"Choose one of {', '.join(RunWhen.values)}.")
        upstream = raw.get("upstream")
        if upstream is not None and (
            not isinstance(upstream, list) or not all(isinstance(u, str) for u in upstream)
        ):
            add_error(errors, f"{prefix}.upstream", "Give a list of task refs.")
            upstream = None
        config_raw = raw.get("config", {})
        config: dict[str, Any] = {}
        secrets: dict[str, str | None] = {}
        if not isinstance(config_raw, Mapping):
            add_error(errors, f"{prefix}.config", "Must be an object.")
        elif type_ in REGISTRY:
            task_type = REGISTRY[type_]
            for secret_field in task_type.secret_fields:
                value = config_raw.get(secret_field, _UNSET)
                if value is _UNSET:
                    continue
                if value is not None and (not isinstance(value, str) or not value):
                    add_error(
                        errors,
                        f"{prefix}.config.{secret_field}",
                        "Must be non-empty text, or null to remove it.",
                    )
                else:
                    secrets[secret_field] = value
            current = by_id.get(task_id) if isinstance(task_id, int) else None
            context = SaveContext(
                owner=owner,
                saver=saver,
                previous=current.config if current is not None and current.type == type_ else {},
            )
            config, config_errors = task_type.clean_config(config_raw, context=context)
            for name_, messages in config_errors.items():
                path = f"{prefix}.config.{name_}" if name_ else f"{prefix}.config"
                for message in messages:
                    add_error(errors, path, message)
        cleaned.append(
            TaskInput(
                id=task_id if isinstance(task_id, int) else None,
                name=name,
                ref=str(ref),
                type=str(type_),
                config=config,
                run_when=str(run_when),
                upstream=list(upstream) if upstream is not None else None,
                secrets=secrets,
            )
        )
    _check_refs_and_upstream(cleaned, errors)
    merge_errors(errors, check_task_references(cleaned))
    return cleaned, errors


def _check_refs_and_upstream(tasks: list[TaskInput], errors: FieldErrors) -> None:
    seen: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if task.ref in seen:
            add_error(
                errors,
                f"tasks[{index}].ref",
                f"'{task.ref}' is already used by task {seen[task.ref] + 1}.",
            )
        for up in task.upstream or []:
            if up == task.ref:
                add_error(errors, f"tasks[{index}].upstream", "A task cannot be its own upstream.")
            elif up not in seen:
                later = any(t.ref == up for t in tasks[index + 1 :])
                add_error(
                    errors,
                    f"tasks[{index}].upstream",
                    f"'{up}' is listed after this task: upstream tasks must come earlier."
                    if later
                    else f"No task with ref '{up}'.",
                )
        seen.setdefault(task.ref, index)
