"""Who may do what with a plan: the one place that decides it, for pages, the API and the admin.

A user's role on a plan is `owner` (the plan's owner), `staff` (any staff user: all rights on
every plan), or the `editor` / `viewer` role of a `PlanShare`; without one the plan is invisible.

| capability | what it covers | owner, staff | editor | viewer |
| --- | --- | --- | --- | --- |
| view | the plan, its triggers, runs, jobs and parameters | yes | yes | yes |
| run | Run now, `POST /v4/plans/{id}/run`, retry from failed | yes | yes | yes |
| edit | tasks, triggers, pause, overlap policy, plan parameters, canceling runs | yes | yes | no |
| manage | deleting the plan, sharing and unsharing it | yes | no | no |

A plan the user cannot view answers 404 (ids do not leak); one they can view but not act on
answers 403 naming what their role allows (`PlanAccessDenied`). Running also needs access to
every flow the plan's tasks use (`resources_blocking_run`): sharing a plan does not share its flows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from plans.models import Plan, PlanShare, Trigger
from plans.task_types import REGISTRY, resource_kind

User = AbstractBaseUser | AnonymousUser


class Role(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    EDITOR = "editor"
    VIEWER = "viewer"


class Capability(enum.Enum):
    VIEW = "view"
    RUN = "run"
    EDIT = "edit"
    MANAGE = "manage"


_ALLOWED: dict[Role, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.STAFF: frozenset(Capability),
    Role.EDITOR: frozenset({Capability.VIEW, Capability.RUN, Capability.EDIT}),
    Role.VIEWER: frozenset({Capability.VIEW, Capability.RUN}),
}

_REFUSAL: dict[Capability, str] = {
    Capability.EDIT: (
        "You are a viewer of this plan: you can see and run it, but changing it or canceling "
        "its runs needs the editor role. Ask the plan's owner."
    ),
    Capability.MANAGE: (
        "Only the plan's owner or staff can delete this plan or change who it is shared with."
    ),
}

# The annotation `with_caller_role` adds: the caller's role as text.
ROLE_FIELD = "caller_role"
_MISSING = object()


class PlanAccessDenied(PermissionDenied):
    """The user can see the plan but their role does not allow the action (403)."""


@dataclass(frozen=True)
class PlanAccess:
    """What one user may do with one plan (templates read `can_edit`, `shared`, ...)."""

    role: Role

    def allows(self, capability: Capability) -> bool:
        return capability in _ALLOWED[self.role]

    @property
    def can_run(self) -> bool:
        return self.allows(Capability.RUN)

    @property
    def can_edit(self) -> bool:
        return self.allows(Capability.EDIT)

    @property
    def can_manage(self) -> bool:
        return self.allows(Capability.MANAGE)

    @property
    def shared(self) -> bool:
        """True when the user sees the plan through a share (not as owner or staff)."""
        return self.role in (Role.EDITOR, Role.VIEWER)

    def require(self, capability: Capability) -> None:
        """Raise PlanAccessDenied unless the role allows `capability`."""
        if not self.allows(capability):
            raise PlanAccessDenied(_REFUSAL[capability])


def visible_plans_q(user: User, *, via: str = "") -> Q:
    """A filter on `Plan` (or, with `via="plan__"`, on a model with a `plan` foreign key) that
    keeps the plans `user` may see: their own and those shared with them, all for staff, none
    for anonymous users."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    shared = PlanShare.objects.filter(user=user).values("plan_id")
    return Q(**{f"{via}owner": user}) | Q(**{f"{via}pk__in": shared})


def plans_visible_to(user: User) -> QuerySet[Plan]:
    """The plans `user` may see (see `visible_plans_q`)."""
    return Plan.objects.filter(visible_plans_q(user))


def with_caller_role(plans: QuerySet[Plan], user: User) -> QuerySet[Plan]:
    """`plans` annotated with `caller_role`: owner, staff, editor, viewer, or None (not
    visible). One correlated subquery on the (plan, user) unique index, so a page of plans
    still costs one query."""
    if not user.is_authenticated:
        return plans.annotate(**{ROLE_FIELD: Value(None, output_field=CharField())})
    shared_role = PlanShare.objects.filter(plan=OuterRef("pk"), user=user).values("role")[:1]
    fallback: Any = Value(Role.STAFF.value) if user.is_staff else Subquery(shared_role)
    role = Case(
        When(owner_id=user.pk, then=Value(Role.OWNER.value)),
        default=fallback,
        output_field=CharField(),
    )
    return plans.annotate(**{ROLE_FIELD: role})


def plan_access(plan: Plan, user: User) -> PlanAccess | None:
    """What `user` may do with `plan`; None if they may not see it.

    Reads the `caller_role` annotation when the plan was loaded through `with_caller_role`
    for this user, else asks the database (one query).
    """
    role = getattr(plan, ROLE_FIELD, _MISSING)
    if role is _MISSING:
        role = (
            with_caller_role(Plan.objects.filter(pk=plan.pk), user)
            .values_list(ROLE_FIELD, flat=True)
            .first()
        )
    return PlanAccess(Role(role)) if role else None


def access_plan(
    user: User,
    plan_id: int,
    need: Capability = Capability.VIEW,
    *,
    queryset: QuerySet[Plan] | None = None,
) -> Plan:
    """The plan `plan_id` (from `queryset`, default all plans, annotated with the caller's
    role) if `user` may see it and do `need`.

    Raises Http404 when they may not see it, PlanAccessDenied when their role does not allow
    `need`.
    """
    plans = queryset if queryset is not None else Plan.objects.select_related("owner")
    plan = with_caller_role(plans.filter(visible_plans_q(user)), user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan.")
    require(plan, user, need)
    return plan


def access_trigger(user: User, trigger_id: int, need: Capability = Capability.VIEW) -> Trigger:
    """The trigger `trigger_id` with its plan, if `user` may do `need` with that plan (Http404 /
    PlanAccessDenied as `access_plan`)."""
    trigger = Trigger.objects.filter(pk=trigger_id).first()
    if trigger is None:
        raise Http404("No such trigger.")
    trigger.plan = access_plan(user, trigger.plan_id, need)
    return trigger


def require(plan: Plan, user: User, need: Capability) -> PlanAccess:
    """`user`'s access to `plan`, which must allow `need` (for a plan reached through a run or
    a trigger, pass `run.plan`). Raises Http404 if they may not see it, PlanAccessDenied if
    the role falls short or, to run it, a collaborator lacks access to one of its flows."""
    access = plan_access(plan, user)
    if access is None:
        raise Http404("No such plan.")
    access.require(need)
    if need is Capability.RUN and access.shared:
        require_flow_access(plan, user)
    return access


def resources_blocking_run(plan: Plan, user: User) -> dict[str, list[str]]:
    """Names, by kind, of the resources the plan's tasks use that `user` may not see and that
    running needs (`ResourceKind.needed_to_run`: flows).

    Sharing a plan does not share its flows, and running a plan needs access to every flow it
    runs (like the seed product), so a collaborator cannot run such a plan by hand; its
    schedules still run it (they run as the plan, not as a person).
    """
    wanted: dict[str, set[int]] = {}
    for task in plan.tasks.all():
        task_type = REGISTRY.get(task.type)
        for resource in task_type.used_resources(task.config) if task_type else []:
            if resource_kind(resource.kind).needed_to_run:
                wanted.setdefault(resource.kind, set()).add(resource.id)
    blocking: dict[str, list[str]] = {}
    for kind_name, ids in sorted(wanted.items()):
        kind = resource_kind(kind_name)
        hidden = kind.rows().filter(pk__in=ids).exclude(pk__in=kind.visible_to(user).values("pk"))
        names = list(hidden.order_by("name").values_list("name", flat=True))
        if names:
            blocking[kind_name] = names
    return blocking


def require_flow_access(plan: Plan, user: User) -> None:
    """Raise PlanAccessDenied naming the resources (flows) `user` would need to run `plan` by
    hand."""
    for kind, hidden in resources_blocking_run(plan, user).items():
        names = ", ".join(f"'{name}'" for name in hidden)
        raise PlanAccessDenied(
            f"This plan runs {kind}s you have no access to ({names}); sharing a plan does not "
            f"share its {kind}s. Ask the {kind}s' owner for access, or the plan's owner to run it."
        )
