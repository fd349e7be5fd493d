"""Validation of a plan's task list, shared by the admin, the API and import.

Errors are keyed by the camelCase path of the bad field (`tasks[0].config.url`), the shape
the API returns and the admin maps back onto its form fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from plans.models import PlanTask, RunWhen, TaskType
from plans.refs import derive_ref, ref_problem
from tasks_engine.executors import REGISTRY

FieldErrors = dict[str, list[str]]
MAX_TASKS = 200
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


class PlanValidationError(Exception):
    """Raised by services with every bad field, keyed by path."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _add(errors: FieldErrors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _unusable_resources(
    task_type: Any, config: Mapping[str, Any], owner: AbstractBaseUser
) -> list[tuple[str, str]]:
    """(field, message) for each connection or flow of the config that `owner` may not use.

    The message is the one a missing id gets, so ids of other users' things do not leak.
    """
    from flows.selectors import flows_visible_to
    from tasks_engine.connections import connections_visible_to

    visible = {"connection": connections_visible_to, "flow": flows_visible_to}
    problems: list[tuple[str, str]] = []
    for name, kind, pk in task_type.used_resources(config):
        if not visible[kind](owner).filter(pk=pk).exists():
            problems.append((name, f"No {kind} with id {pk} that the plan's owner may use."))
    return problems


def clean_tasks(
    raw_tasks: Any,
    *,
    existing: Sequence[PlanTask] = (),
    owner: AbstractBaseUser | None = None,
) -> tuple[list[TaskInput], FieldErrors]:
    """Validate a full task list (the order given is the execution order).

    `existing` are the plan's current tasks: an entry with an `id` among them keeps that task
    (and its secrets unless replaced); an unknown id is an error.
    `owner` is the plan's owner: runs act with the owner's access, so every connection and flow
    a task names must be one the owner may use. The services always pass it; a caller that
    only checks early for better messages (a form, a serializer) may leave it out.
    """
    errors: FieldErrors = {}
    if not isinstance(raw_tasks, list):
        _add(errors, "tasks", "Give a list of tasks.")
        return [], errors
    if not raw_tasks:
        _add(errors, "tasks", "A plan needs at least one task.")
        return [], errors
    if len(raw_tasks) > MAX_TASKS:
        _add(errors, "tasks", f"A plan has at most {MAX_TASKS} tasks.")
        return [], errors
    by_id = {task.pk: task for task in existing}
    given_refs = [t.get("ref") for t in raw_tasks if isinstance(t, Mapping) and t.get("ref")]
    taken: set[str] = {str(r) for r in given_refs}
    seen_ids: set[int] = set()
    cleaned: list[TaskInput] = []
    for index, raw in enumerate(raw_tasks):
        prefix = f"tasks[{index}]"
        if not isinstance(raw, Mapping):
            _add(errors, prefix, "Each task must be an object.")
            continue
        task_id = raw.get("id")
        if task_id is not None:
            if not isinstance(task_id, int) or task_id not in by_id:
                _add(errors, f"{prefix}.id", "No task with this id in this plan.")
            elif task_id in seen_ids:
                _add(errors, f"{prefix}.id", "This task is listed twice.")
            else:
                seen_ids.add(task_id)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            _add(errors, f"{prefix}.name", "This field is required.")
            name = ""
        elif len(name) > 200:
            _add(errors, f"{prefix}.name", "At most 200 characters.")
        type_ = raw.get("type", TaskType.HTTP)
        if not isinstance(type_, str):
            type_ = repr(type_)  # a list or an object is no type name (and cannot be hashed)
        if type_ not in REGISTRY:
            _add(errors, f"{prefix}.type", f"Choose one of {', '.join(sorted(REGISTRY))}.")
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
            _add(errors, f"{prefix}.ref", problem if isinstance(ref, str) else "Must be text.")
        run_when = raw.get("runWhen", RunWhen.ON_SUCCESS)
        if run_when not in RunWhen.values:
            _add(errors, f"{prefix}.runWhen", f"Choose one of {', '.join(RunWhen.values)}.")
        upstream = raw.get("upstream")
        if upstream is not None and (
            not isinstance(upstream, list) or not all(isinstance(u, str) for u in upstream)
        ):
            _add(errors, f"{prefix}.upstream", "Give a list of task refs.")
            upstream = None
        config_raw = raw.get("config", {})
        config: dict[str, Any] = {}
        secrets: dict[str, str | None] = {}
        if not isinstance(config_raw, Mapping):
            _add(errors, f"{prefix}.config", "Must be an object.")
        elif type_ in REGISTRY:
            task_type = REGISTRY[type_]
            for secret_field in task_type.secret_fields:
                value = config_raw.get(secret_field, _UNSET)
                if value is _UNSET:
                    continue
                if value is not None and (not isinstance(value, str) or not value):
                    _add(
                        errors,
                        f"{prefix}.config.{secret_field}",
                        "Must be non-empty text, or null to remove it.",
                    )
                else:
                    secrets[secret_field] = value
            config, config_errors = task_type.clean_config(config_raw)
            unusable = _unusable_resources(task_type, config, owner) if owner is not None else []
            if unusable:
                # Only this: other messages about the config could describe someone else's flow.
                config_errors = {}
                for name_, message in unusable:
                    config_errors.setdefault(name_, []).append(message)
            for name_, messages in config_errors.items():
                for message in messages:
                    _add(errors, f"{prefix}.config.{name_}", message)
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
    from plans.task_references import check_task_references

    for path, messages in check_task_references(cleaned).items():
        for message in messages:
            _add(errors, path, message)
    return cleaned, errors


def _check_refs_and_upstream(tasks: list[TaskInput], errors: FieldErrors) -> None:
    seen: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if task.ref in seen:
            _add(
                errors,
                f"tasks[{index}].ref",
                f"'{task.ref}' is already used by task {seen[task.ref] + 1}.",
            )
        for up in task.upstream or []:
            if up == task.ref:
                _add(errors, f"tasks[{index}].upstream", "A task cannot be its own upstream.")
            elif up not in seen:
                later = any(t.ref == up for t in tasks[index + 1 :])
                _add(
                    errors,
                    f"tasks[{index}].upstream",
                    f"'{up}' is listed after this task: upstream tasks must come earlier."
                    if later
                    else f"No task with ref '{up}'.",
                )
        seen.setdefault(task.ref, index)
