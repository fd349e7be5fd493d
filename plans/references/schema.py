"""Checking templates against what a task may reference, before anything runs.

The caller describes the allowed roots with :class:`FieldSchema` trees, usually::

    schema = {"plan": plan_schema(), **{ref: task_schema(offers) for ref, offers in upstream}}
    messages = validate(config["url"], schema=schema)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from plans.references.syntax import (
    PathSegment,
    Reference,
    ReferenceSyntaxError,
    format_path,
    parse,
)

PLAN_FIELDS = ("name", "id", "runId", "url", "startTime", "duration", "user", "taskCount")
TASK_FIELDS = ("name", "status", "startTime", "endTime", "duration")


@dataclass(frozen=True, eq=False)
class FieldSchema:
    """What a reference may reach below a root or a field.

    ``fields`` lists the names allowed one level down, each with its own schema; a schema
    with no fields is a leaf (a scalar: nothing below it). ``free=True`` allows any path
    below (a JSON body, headers, flow outputs) and ignores ``fields``. Integer indexes are
    only allowed below a free schema.
    """

    fields: Mapping[str, FieldSchema] = field(default_factory=dict)
    free: bool = False

    @classmethod
    def leaf(cls) -> FieldSchema:
        """A scalar value: the reference may stop here and go no deeper."""
        return cls()

    @classmethod
    def any(cls) -> FieldSchema:
        """Free-form data: any keys and indexes below are allowed."""
        return cls(free=True)

    @classmethod
    def of(cls, *leaves: str, **subtrees: FieldSchema) -> FieldSchema:
        """An object with the given leaf fields, then the given subtrees, in that order."""
        fields: dict[str, FieldSchema] = {name: cls.leaf() for name in leaves}
        fields.update(subtrees)
        return cls(fields=fields)


def plan_schema() -> FieldSchema:
    """``$plan``: ``name``, ``id``, ``runId``, ``url``, ``startTime``, ``duration``, ``user``,
    ``taskCount``, all scalars.

    The context the caller renders with should hold: name (str), id and runId (str or int),
    url (absolute URL of the run page), startTime (ISO 8601 str), duration (seconds so far,
    a number, for ``|humanizeDuration``), user (display name of who started the run, "" for a
    schedule), taskCount (int).
    """
    return FieldSchema.of(*PLAN_FIELDS)


def task_schema(offers: Mapping[str, FieldSchema] | None = None) -> FieldSchema:
    """``$<ref>`` of an upstream task: every type's ``name``, ``status``, ``startTime``,
    ``endTime``, ``duration`` (the job's status string, ISO 8601 times or None, seconds or
    None), then what the task's type offers (`plans.task_types.TaskType.offers`: an HTTP task
    adds ``statusCode`` and ``response``, a flow task ``outputs``)."""
    return FieldSchema.of(*TASK_FIELDS, **dict(offers or {}))


def validate(text: str, *, schema: Mapping[str, FieldSchema]) -> list[str]:
    """Check ``text`` against the allowed roots; return messages for the user, [] if fine.

    A syntax error (including an unknown filter) gives one message, since parsing stops
    there. Otherwise there is one message per distinct problem, e.g.
    ``{{$fetch2.status}}: 'fetch2' is not an upstream task or a known reference root ...``
    or ``{{$plan.nme}}: unknown field 'nme' of $plan (known: name, id, ...)``.
    """
    try:
        template = parse(text)
    except ReferenceSyntaxError as exc:
        return [str(exc)]
    messages: list[str] = []
    for reference in template.references:
        message = _check(reference, schema)
        if message is not None and message not in messages:
            messages.append(message)
    return messages


def references_in(texts: Iterable[str]) -> set[str]:
    """The root names (without ``$``) used by any of ``texts``, for dependency checks.

    Raises :class:`ReferenceSyntaxError` for a text that does not parse: validate first.
    """
    return {reference.root for text in texts for reference in parse(text).references}


def _check(reference: Reference, schema: Mapping[str, FieldSchema]) -> str | None:
    node = schema.get(reference.root)
    if node is None:
        known = ", ".join(f"${root}" for root in schema) or "none"
        return (
            f"{reference.label}: {reference.root!r} is not an upstream task or a known "
            f"reference root (known: {known})"
        )
    for step, segment in enumerate(reference.path):
        if node.free:
            return None
        where = format_path(reference.root, reference.path[:step])
        child = node.fields.get(segment) if isinstance(segment, str) else None
        if child is not None:
            node = child
            continue
        if not node.fields:
            return f"{reference.label}: {where} has no fields, so {_show(segment)} is unknown"
        known = ", ".join(node.fields)
        return f"{reference.label}: unknown field {_show(segment)} of {where} (known: {known})"
    return None


def _show(segment: PathSegment) -> str:
    return f"[{segment}]" if isinstance(segment, int) else repr(segment)
