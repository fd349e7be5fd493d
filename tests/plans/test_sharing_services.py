"""`plan_share` / `plan_unshare`: who a plan is shared with, and what refuses a share."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import ServiceValidationError
from plans.models import Plan, PlanShare
from plans.services import ShareInvitation, plan_share, plan_unshare
from workspace.features import FeatureDisabled
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db


def test_it_shares_by_email_or_username_and_records_who_shared(
    plan: Plan, user: Any, viewer: Any, editor: Any
) -> None:
    shares = plan_share(
        plan=plan,
        invitations=[
            ShareInvitation(who="VIEWER@example.com", role="viewer"),
            ShareInvitation(who=" editor ", role="editor"),
        ],
        shared_by=user,
    )

    assert {(s.user, s.role, s.created_by) for s in shares} == {
        (viewer, "viewer", user),
        (editor, "editor", user),
    }


def test_sharing_again_changes_the_role_and_keeps_one_row(
    plan: Plan, user: Any, viewer: Any
) -> None:
    plan_share(plan=plan, invitations=[ShareInvitation("viewer", "viewer")], shared_by=user)
    plan_share(plan=plan, invitations=[ShareInvitation("viewer", "editor")], shared_by=None)

    share = PlanShare.objects.get(plan=plan)
    assert (share.user, share.role, share.created_by) == (viewer, "editor", user)


def test_an_unknown_user_names_them_and_saves_nothing(plan: Plan, user: Any, viewer: Any) -> None:
    invitations = [
        ShareInvitation("viewer@example.com", "viewer", field="data[0].email"),
        ShareInvitation("nobody@example.com", "viewer", by="email", field="data[1].email"),
    ]
    with pytest.raises(ServiceValidationError) as caught:
        plan_share(plan=plan, invitations=invitations, shared_by=user)

    assert caught.value.errors == {
        "data[1].email": ["No user with the email 'nobody@example.com'."]
    }
    assert not PlanShare.objects.exists()


def test_the_owner_an_inactive_user_and_an_unknown_role_are_refused(
    plan: Plan, user: Any, viewer: Any, editor: Any
) -> None:
    editor.is_active = False
    editor.save()
    invitations = [
        ShareInvitation("owner", "viewer", field="a"),
        ShareInvitation("editor", "viewer", field="b"),
        ShareInvitation("viewer", "admin", field="c"),
    ]
    with pytest.raises(ServiceValidationError) as caught:
        plan_share(plan=plan, invitations=invitations, shared_by=user)

    assert caught.value.errors == {
        "a": ["'owner' owns this plan."],
        "b": ["No user with the email or name 'editor'."],
        "c": ["Unknown role 'admin'; use viewer or editor."],
    }
    assert not PlanShare.objects.exists()


def test_an_email_two_users_share_asks_for_the_username(
    plan: Plan, user: Any, viewer: Any, django_user_model: Any
) -> None:
    django_user_model.objects.create_user("twin", "viewer@example.com", "twin-password-1")

    with pytest.raises(ServiceValidationError, match="give the username"):
        plan_share(
            plan=plan, invitations=[ShareInvitation("viewer@example.com", "viewer")], shared_by=user
        )
    plan_share(plan=plan, invitations=[ShareInvitation("twin", "viewer")], shared_by=user)
    assert PlanShare.objects.get().user.get_username() == "twin"


def test_an_empty_list_is_refused(plan: Plan, user: Any) -> None:
    with pytest.raises(ServiceValidationError, match="at least one user"):
        plan_share(plan=plan, invitations=[], shared_by=user)


def test_with_sharing_off_nothing_new_is_shared_but_access_can_be_taken_back(
    plan: Plan, user: Any, viewer: Any, editor: Any
) -> None:
    plan_share(plan=plan, invitations=[ShareInvitation("viewer", "viewer")], shared_by=user)
    workspace_settings_update(sharing_enabled=False)

    with pytest.raises(FeatureDisabled, match="Sharing is turned off"):
        plan_share(plan=plan, invitations=[ShareInvitation("editor", "editor")], shared_by=user)

    assert list(PlanShare.objects.values_list("user__username", flat=True)) == ["viewer"]
    assert plan_unshare(plan=plan, user_id=viewer.pk) is True
    assert plan_unshare(plan=plan, user_id=viewer.pk) is False
    assert not PlanShare.objects.exists()


def test_shares_go_with_their_plan(plan: Plan, user: Any, viewer: Any) -> None:
    from plans.services import plan_delete

    plan_share(plan=plan, invitations=[ShareInvitation("viewer", "viewer")], shared_by=user)
    plan_delete(plan=plan)

    assert not PlanShare.objects.exists()
