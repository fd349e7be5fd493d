"""Checking the metadata references in a plan's task configs when the plan is saved.

A task may reference `$plan` and its upstream tasks: the ones it lists in `upstream` (by
default the task just before it), and theirs, transitively. A reference to any other task
(a later one, an unrelated branch, itself), to an unknown field, or with bad syntax is a
validation error keyed by the config field that holds it: `tasks[2].config.message`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from core.errors import FieldErrors
from plans import references
from plans.task_types import REGISTRY

if TYPE_CHECKING:
    from plans.validation import TaskInput


def resolved_upstream(tasks: Sequence[TaskInput]) -> list[list[str]]:
    """Each task's upstream refs with the default filled in (the previous task; none for the
    first), keeping only refs of tasks listed earlier."""
    resolved: list[list[str]] = []
    for index, task in enumerate(tasks):
        earlier = {t.ref for t in tasks[:index]}
        if task.upstream is None:
            resolved.append([tasks[index - 1].ref] if index > 0 else [])
        else:
            resolved.append([ref for ref in task.upstream if ref in earlier])
    return resolved


def upstream_closures(tasks: Sequence[TaskInput]) -> list[set[str]]:
    """For each task, the refs it may reference: its upstream tasks and theirs, transitively."""
    direct = resolved_upstream(tasks)
    closures: list[set[str]] = []
    index_of = {task.ref: i for i, task in enumerate(tasks)}
    for index in range(len(tasks)):
        seen: set[str] = set()
        stack = list(direct[index])
        while stack:
            ref = stack.pop()
            if ref in seen or ref not in index_of or index_of[ref] >= index:
                continue
            seen.add(ref)
            stack.extend(direct[index_of[ref]])
        closures.append(seen)
    return closures


def _field_texts(config: Mapping[str, Any], field: str) -> list[str]:
    return list(references.strings_in(config.get(field)))


def _reference_messages(
    text: str,
    *,
    own_ref: str,
    all_refs: set[str],
    schema: Mapping[str, references.FieldSchema],
) -> list[str]:
    try:
        template = references.parse(text)
    except references.ReferenceSyntaxError as exc:
        return [str(exc)]
    messages: list[str] = []
    for reference in template.references:
        if reference.root == own_ref:
            found = [f"{reference.label}: a task cannot reference itself."]
        elif reference.root in all_refs and reference.root not in schema:
            found = [
                f"{reference.label}: task '{reference.root}' is not upstream of this task; "
                "only upstream tasks (and theirs) can be referenced."
            ]
        else:
            found = references.validate(reference.label, schema=schema)
        messages.extend(m for m in found if m not in messages)
    return messages


def check_task_references(tasks: Sequence[TaskInput]) -> FieldErrors:
    """Errors for every reference a task may not use, keyed `tasks[i].config.<field>`.

    Only the fields a task type declares in `reference_fields` are filled in at run time, so
    only those are checked. Tasks of an unknown type are skipped (reported elsewhere).
    """
    errors: FieldErrors = {}
    all_refs = {task.ref for task in tasks}
    type_of = {task.ref: task.type for task in tasks}
    closures = upstream_closures(tasks)
    for index, task in enumerate(tasks):
        task_type = REGISTRY.get(task.type)
        if task_type is None or not task_type.reference_fields:
            continue
        schema: dict[str, references.FieldSchema] = {"plan": references.plan_schema()}
        for ref in sorted(closures[index]):
            offers = REGISTRY[type_of[ref]].offers if type_of[ref] in REGISTRY else {}
            schema[ref] = references.task_schema(offers)
        for field in task_type.reference_fields:
            for text in _field_texts(task.config, field):
                if "{{" not in text:
                    continue
                for message in _reference_messages(
                    text, own_ref=task.ref, all_refs=all_refs, schema=schema
                ):
                    bucket = errors.setdefault(f"tasks[{index}].config.{field}", [])
                    if message not in bucket:
                        bucket.append(message)
    return errors
