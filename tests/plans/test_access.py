"""`plans.access`: the one place that decides who may view, run, edit and manage a plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404

from flows.services import flow_create
from plans.access import (
    Capability,
    PlanAccessDenied,
    Role,
    access_plan,
    access_trigger,
    plan_access,
    plans_visible_to,
    require,
    resources_blocking_run,
    with_caller_role,
)
from plans.models import Plan, Trigger
from plans.services import plan_create
from runs.models import RunSource
from runs.selectors import jobs_visible_to, runs_visible_to
from runs.services import run_plan

pytestmark = pytest.mark.django_db

TASKS = [{"name": "a", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}]


def test_each_persona_has_its_role(
    plan: Plan,
    user: Any,
    viewer: Any,
    editor: Any,
    other_user: Any,
    staff_user: Any,
    share: Callable[..., Any],
) -> None:
    share(plan, viewer, "viewer")
    share(plan, editor, "editor")

    roles = {
        who.get_username(): plan_access(plan, who)
        for who in (user, viewer, editor, other_user, staff_user)
    }

    assert roles["owner"] is not None and roles["owner"].role is Role.OWNER
    assert roles["viewer"] is not None and roles["viewer"].role is Role.VIEWER
    assert roles["editor"] is not None and roles["editor"].role is Role.EDITOR
    assert roles["admin"] is not None and roles["admin"].role is Role.STAFF
    assert roles["outsider"] is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, {"view", "run", "edit", "manage"}),
        (Role.STAFF, {"view", "run", "edit", "manage"}),
        (Role.EDITOR, {"view", "run", "edit"}),
        (Role.VIEWER, {"view", "run"}),
    ],
)
def test_a_role_allows_a_fixed_set_of_capabilities(role: Role, allowed: set[str]) -> None:
    from plans.access import PlanAccess

    access = PlanAccess(role)
    assert {c.value for c in Capability if access.allows(c)} == allowed


def test_visibility_covers_own_and_shared_plans_and_their_runs_and_jobs(
    user: Any, viewer: Any, other_user: Any, share: Callable[..., Any]
) -> None:
    own = plan_create(owner=viewer, name="Viewer's own", tasks=TASKS)
    shared = plan_create(
        owner=user,
        name="Shared",
        tasks=TASKS,
    )
    hidden = plan_create(
        owner=other_user,
        name="Hidden",
        tasks=TASKS,
    )
    share(shared, viewer)
    shared_run = run_plan(plan=shared, source=RunSource.MANUAL)
    run_plan(plan=hidden, source=RunSource.MANUAL)

    assert set(plans_visible_to(viewer)) == {own, shared}
    assert list(runs_visible_to(viewer)) == [shared_run]
    assert {job.run_id for job in jobs_visible_to(viewer)} == {shared_run.pk}


def test_a_plan_shared_with_two_people_is_listed_once(
    plan: Plan, viewer: Any, editor: Any, share: Callable[..., Any]
) -> None:
    share(plan, viewer)
    share(plan, editor, "editor")

    assert list(plans_visible_to(viewer)) == [plan]
    assert list(
        with_caller_role(plans_visible_to(editor), editor).values_list("caller_role", flat=True)
    ) == ["editor"]


def test_the_caller_role_annotation_costs_no_query_per_plan(
    user: Any, viewer: Any, share: Callable[..., Any], django_assert_num_queries: Any
) -> None:
    for index in range(5):
        share(plan_create(owner=user, name=f"P{index}", tasks=TASKS), viewer, "editor")

    with django_assert_num_queries(1):
        roles = [p.caller_role for p in with_caller_role(plans_visible_to(viewer), viewer)]

    assert roles == ["editor"] * 5


def test_an_outsider_gets_404_not_403(plan: Plan, other_user: Any) -> None:
    for need in Capability:
        with pytest.raises(Http404):
            access_plan(other_user, plan.pk, need)


def test_a_viewer_may_view_and_run_but_not_edit_or_manage(
    plan: Plan, viewer: Any, share: Callable[..., Any]
) -> None:
    share(plan, viewer)

    assert access_plan(viewer, plan.pk, Capability.VIEW) == plan
    assert access_plan(viewer, plan.pk, Capability.RUN) == plan
    with pytest.raises(PlanAccessDenied, match="viewer"):
        access_plan(viewer, plan.pk, Capability.EDIT)
    with pytest.raises(PlanAccessDenied, match="owner or staff"):
        access_plan(viewer, plan.pk, Capability.MANAGE)


def test_an_editor_may_edit_but_not_manage(
    plan: Plan, editor: Any, share: Callable[..., Any]
) -> None:
    share(plan, editor, "editor")

    assert access_plan(editor, plan.pk, Capability.EDIT) == plan
    with pytest.raises(PlanAccessDenied):
        require(plan, editor, Capability.MANAGE)


def test_a_trigger_is_reached_through_its_plans_access(
    plan: Plan,
    viewer: Any,
    other_user: Any,
    make_trigger: Callable[..., Trigger],
    share: Callable[..., Any],
) -> None:
    trigger = make_trigger()
    share(plan, viewer)

    assert access_trigger(viewer, trigger.pk).plan == plan
    with pytest.raises(PlanAccessDenied):
        access_trigger(viewer, trigger.pk, Capability.EDIT)
    with pytest.raises(Http404):
        access_trigger(other_user, trigger.pk)


DEFINITION: dict[str, Any] = {
    "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
    "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
    "outputs": [{"name": "report", "recipe": "main", "path": "out/report.csv"}],
}


def test_a_collaborator_may_not_run_a_plan_whose_flows_are_not_theirs(
    user: Any, editor: Any, share: Callable[..., Any]
) -> None:
    flow = flow_create(owner=user, name="Sales report", definition=DEFINITION)
    plan = plan_create(
        owner=user, name="P", tasks=[{"name": "t", "type": "flow", "config": {"flow": flow.pk}}]
    )
    share(plan, editor, "editor")

    assert resources_blocking_run(plan, editor) == {"flow": ["Sales report"]}
    assert resources_blocking_run(plan, user) == {}
    assert access_plan(editor, plan.pk, Capability.EDIT) == plan
    with pytest.raises(PlanAccessDenied, match="Sales report"):
        access_plan(editor, plan.pk, Capability.RUN)
    assert access_plan(user, plan.pk, Capability.RUN) == plan
