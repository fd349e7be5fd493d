"""Writes to plans. Views, the API and the admin call these; they never write through the ORM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from audit.models import AuditAction
from audit.services import audit_record
from connections.models import Secret
from connections.secrets import encrypt_secret
from core.errors import FieldErrors, ServiceValidationError
from plans.models import Plan, PlanShare, PlanTask, ShareRole
from plans.signals import plan_shared, plan_unshared
from plans.validation import TaskInput, clean_tasks


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
    """Create a plan with its tasks. Raises ServiceValidationError naming every bad field; saves nothing then."""
    errors: FieldErrors = {}
    _clean_plan_fields(name, description, errors)
    cleaned, task_errors = clean_tasks(tasks, owner=owner)
    errors.update(task_errors)
    if errors:
        raise ServiceValidationError(errors)
    plan = Plan.objects.create(owner=owner, name=name.strip(), description=description)
    _save_tasks(plan, cleaned)
    audit_record(action=AuditAction.CREATED, obj=plan, tasks=len(cleaned))
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
        cleaned, task_errors = clean_tasks(tasks, existing=list(plan.tasks.all()), owner=plan.owner)
        errors.update(task_errors)
    if errors:
        raise ServiceValidationError(errors)
    if name is not None:
        plan.name = name.strip()
    if description is not None:
        plan.description = description
    for field_name, value in (extra or {}).items():
        setattr(plan, field_name, value)
    plan.save()
    if tasks is not None:
        _save_tasks(plan, cleaned)
    new = {"name": name, "description": description, "tasks": tasks, **(extra or {})}
    audit_record(action=AuditAction.EDITED, obj=plan, fields=[k for k in new if new[k] is not None])
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

    audit_record(action=AuditAction.DELETED, obj=plan)
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


@dataclass(frozen=True)
class ShareInvitation:
    """One person to share a plan with: `who` is an email address or a username, as `by` says
    (`any`: either). Errors about this entry are reported under `field`."""

    who: str
    role: str
    by: Literal["email", "username", "any"] = "any"
    field: str = "users"


def _find_user(invitation: ShareInvitation) -> tuple[AbstractBaseUser | None, str]:
    """The active user `invitation` names, or None and why not."""
    who = invitation.who.strip()
    user_model = get_user_model()
    by_email = Q(email__iexact=who)
    by_username = Q(**{user_model.USERNAME_FIELD: who})
    match = {"email": by_email, "username": by_username, "any": by_username | by_email}
    users = list(user_model.objects.filter(match[invitation.by], is_active=True)[:2])
    if not users:
        kind = {"email": "with the email", "username": "named", "any": "with the email or name"}
        return None, f"No user {kind[invitation.by]} '{who}'."
    if len(users) > 1:
        exact = [u for u in users if u.get_username() == who]
        if len(exact) == 1:
            return exact[0], ""
        return None, f"Several users have the email '{who}'; give the username instead."
    return users[0], ""


def share_grants(
    *, plan: Plan, invitations: list[ShareInvitation]
) -> tuple[list[tuple[AbstractBaseUser, str]], FieldErrors]:
    """The (user, role) pairs `invitations` name, and errors keyed by each entry's `field` for
    those that are not an active user, are the plan's owner or have an unknown role. Reads
    only: `plan_share` saves."""
    errors: FieldErrors = {}
    if not invitations:
        errors["users"] = ["Name at least one user by email or username."]
    grants: dict[int, tuple[AbstractBaseUser, str]] = {}
    for invitation in invitations:
        if invitation.role not in ShareRole.values:
            errors.setdefault(invitation.field, []).append(
                f"Unknown role '{invitation.role}'; use viewer or editor."
            )
            continue
        found, problem = _find_user(invitation)
        if found is None:
            errors.setdefault(invitation.field, []).append(problem)
        elif found.pk == plan.owner_id:
            errors.setdefault(invitation.field, []).append(
                f"'{invitation.who.strip()}' owns this plan."
            )
        else:
            grants[found.pk] = (found, invitation.role)
    return list(grants.values()), errors


@transaction.atomic
def plan_share(
    *, plan: Plan, invitations: list[ShareInvitation], shared_by: AbstractBaseUser | None
) -> list[PlanShare]:
    """Share `plan` with each invited user in their role; a user who already has a share gets
    the new role. A new collaborator's address joins the plan's failure email list. Raises ServiceValidationError naming every entry that is not an active user
    (or is the owner, or has an unknown role) and saves nothing then; raises
    `workspace.features.FeatureDisabled` while sharing is turned off.

    Who may share is the caller's business (`plans.access`, capability manage).
    """
    from workspace.features import require_sharing_enabled

    require_sharing_enabled()
    grants, errors = share_grants(plan=plan, invitations=invitations)
    if errors:
        raise ServiceValidationError(errors)
    shares = []
    newcomers: list[str] = []
    for found, role in grants:
        share, created = PlanShare.objects.update_or_create(
            plan=plan,
            user=found,
            defaults={"role": role},
            create_defaults={"role": role, "created_by": shared_by},
        )
        shares.append(share)
        if created and found.email:
            newcomers.append(found.email)
    # Collaborators hear of failed runs by default (seed product; `notifications` listens).
    plan_shared.send(sender=Plan, plan=plan, new_addresses=newcomers)
    audit_record(action=AuditAction.SHARED, obj=plan, roles={str(u): r for u, r in grants})
    return shares


@transaction.atomic
def plan_unshare(*, plan: Plan, user_id: int) -> bool:
    """Take the plan's share away from user `user_id`; False if they had none. Their address
    leaves the plan's email lists too.

    Allowed while sharing is turned off: removing access is always possible.
    """
    share = PlanShare.objects.filter(plan=plan, user_id=user_id).select_related("user").first()
    if share is None:
        return False
    share.delete()
    audit_record(action=AuditAction.UNSHARED, obj=plan, user=share.user.get_username())
    # Run mails describe the plan; someone who may no longer see it stops getting them.
    plan_unshared.send(sender=Plan, plan=plan, user=share.user)
    return True
