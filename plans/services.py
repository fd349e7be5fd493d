"""Writes to plans. Views, the API and the admin call these; they never write through the ORM."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction

from plans.models import Plan, PlanTask
from plans.validation import FieldErrors, PlanValidationError, TaskInput, clean_tasks
from tasks_engine.models import Secret
from tasks_engine.secrets import encrypt_secret


def _clean_plan_fields(name: Any, description: Any, errors: FieldErrors) -> None:
    if not isinstance(name, str) or not name.strip():
        errors.setdefault("name", []).append("This field is required.")
    elif len(name) > 200:
        errors.setdefault("name", []).append("At most 200 characters.")
    if not isinstance(description, str):
        errors.setdefault("description", []).append("Must be text.")


def _store_secret(value: str) -> int:
    return Secret.objects.create(ciphertext=encrypt_secret(value)).pk


def _save_tasks(plan: Plan, tasks: list[TaskInput]) -> None:
    """Replace the plan's task list with `tasks`, keeping rows whose id is given."""
    existing = {task.pk: task for task in plan.tasks.all()}
    keep_ids = {t.id for t in tasks if t.id is not None}
    PlanTask.objects.filter(plan=plan).exclude(pk__in=keep_ids).delete()
    # Refs are unique per plan: park kept rows on temporary refs so swapping two refs works.
    for task_id in keep_ids:
        PlanTask.objects.filter(pk=task_id).update(ref=f"__tmp_{task_id}")
    for position, item in enumerate(tasks, start=1):
        row = existing.get(item.id) if item.id is not None else None
        secrets = dict(row.secrets) if row is not None and row.type == item.type else {}
        for field_name, value in item.secrets.items():
            if value is None:
                secrets.pop(field_name, None)
            else:
                secrets[field_name] = _store_secret(value)
        values = {
            "position": position,
            "name": item.name,
            "ref": item.ref,
            "type": item.type,
            "config": item.config,
            "secrets": secrets,
            "run_when": item.run_when,
            "upstream": item.upstream,
        }
        if row is None:
            PlanTask.objects.create(plan=plan, **values)
        else:
            PlanTask.objects.filter(pk=row.pk).update(**values)


@transaction.atomic
def plan_create(
    *, owner: AbstractBaseUser, name: str, description: str = "", tasks: list[dict[str, Any]]
) -> Plan:
    """Create a plan with its tasks. Raises PlanValidationError naming every bad field; saves nothing then."""
    errors: FieldErrors = {}
    _clean_plan_fields(name, description, errors)
    cleaned, task_errors = clean_tasks(tasks)
    errors.update(task_errors)
    if errors:
        raise PlanValidationError(errors)
    plan = Plan.objects.create(owner=owner, name=name.strip(), description=description)
    _save_tasks(plan, cleaned)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    name: str | None = None,
    description: str | None = None,
    tasks: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Plan:
    """Change a plan's fields; with `tasks`, replace its task list (an entry with an `id` keeps that task).

    `extra` holds further model fields already validated by the caller (pause, overlap policy).
    """
    errors: FieldErrors = {}
    _clean_plan_fields(
        plan.name if name is None else name,
        plan.description if description is None else description,
        errors,
    )
    cleaned: list[TaskInput] = []
    if tasks is not None:
        cleaned, task_errors = clean_tasks(tasks, existing=list(plan.tasks.all()))
        errors.update(task_errors)
    if errors:
        raise PlanValidationError(errors)
    if name is not None:
        plan.name = name.strip()
    if description is not None:
        plan.description = description
    for field_name, value in (extra or {}).items():
        setattr(plan, field_name, value)
    plan.save()
    if tasks is not None:
        _save_tasks(plan, cleaned)
    return plan


@transaction.atomic
def plan_delete(*, plan: Plan) -> None:
    """Delete a plan with its tasks, triggers (and their periodic tasks) and runs.

    A worker may still be writing log lines for a running job of the plan while it is deleted.
    On PostgreSQL the deferred foreign keys are checked right after the delete, inside a
    savepoint, so such a row shows up there as an IntegrityError and the delete is retried with
    a fresh collection, instead of failing the whole transaction at COMMIT.
    """
    from plans.signals import plan_deleting

    plan_deleting.send(sender=Plan, plan=plan)
    attempts = 5
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                Plan.objects.filter(pk=plan.pk).delete()
                if connection.vendor == "postgresql":
                    # Check the deferred foreign keys now, inside the savepoint, not at COMMIT.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        except IntegrityError:
            if attempt == attempts:
                raise
