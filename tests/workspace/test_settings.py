"""The workspace switches: defaults, the service, the per-request read and the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from workspace.features import (
    FeatureDisabled,
    require_import_export_enabled,
    require_plans_enabled,
    require_sharing_enabled,
)
from workspace.models import WorkspaceSettings
from workspace.selectors import get_workspace_settings
from workspace.services import workspace_settings_update
from workspace.signals import workspace_settings_changed

pytestmark = pytest.mark.django_db


def test_everything_is_on_before_anyone_saves_the_settings() -> None:
    settings = get_workspace_settings()

    assert (settings.plans_enabled, settings.sharing_enabled, settings.import_export_enabled) == (
        True,
        True,
        True,
    )
    assert not WorkspaceSettings.objects.exists()
    require_plans_enabled()
    require_sharing_enabled()
    require_import_export_enabled()


def test_the_service_changes_only_the_given_switches_in_one_row() -> None:
    workspace_settings_update(sharing_enabled=False)
    workspace_settings_update(import_export_enabled=False)

    row = WorkspaceSettings.objects.get()
    assert (row.pk, row.plans_enabled, row.sharing_enabled, row.import_export_enabled) == (
        1,
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("switch", "check", "message"),
    [
        ("plans_enabled", require_plans_enabled, "Plans are turned off"),
        ("sharing_enabled", require_sharing_enabled, "Sharing is turned off"),
        ("import_export_enabled", require_import_export_enabled, "Export and import"),
    ],
)
def test_each_check_refuses_when_its_switch_is_off(switch: str, check: Any, message: str) -> None:
    workspace_settings_update(**{switch: False})

    with pytest.raises(FeatureDisabled, match=message):
        check()


def test_a_change_is_signalled_with_before_and_after_and_no_change_is_silent() -> None:
    seen: list[tuple[dict[str, bool], dict[str, bool]]] = []

    def listen(sender: Any, before: dict[str, bool], after: dict[str, bool], **kw: Any) -> None:
        seen.append((before, after))

    workspace_settings_changed.connect(listen)
    try:
        workspace_settings_update(plans_enabled=False)
        workspace_settings_update(plans_enabled=False)
    finally:
        workspace_settings_changed.disconnect(listen)

    assert len(seen) == 1
    assert seen[0][0]["plans_enabled"] is True and seen[0][1]["plans_enabled"] is False


def test_a_second_row_is_refused_by_the_database() -> None:
    workspace_settings_update(plans_enabled=True)

    with pytest.raises(IntegrityError):
        WorkspaceSettings.objects.bulk_create([WorkspaceSettings(id=2)])


def test_outside_a_request_every_read_sees_the_database() -> None:
    workspace_settings_update(plans_enabled=True)
    WorkspaceSettings.objects.update(plans_enabled=False)

    assert get_workspace_settings().plans_enabled is False


def test_a_request_reads_the_settings_once(client: Any, staff_user: Any, plan: Any) -> None:
    """Plan View checks the plans switch and reads the sharing switch: one query for both."""
    workspace_settings_update(sharing_enabled=True)
    client.force_login(staff_user)
    client.get(reverse("plans:detail", args=[plan.pk]))  # warm up the session

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 200

    reads = [q for q in queries if "workspace_workspacesettings" in q["sql"]]
    assert len(reads) == 1


def test_the_next_request_sees_a_change_made_in_between(client: Any, user: Any) -> None:
    client.force_login(user)
    assert client.get(reverse("plans:list")).status_code == 200

    workspace_settings_update(plans_enabled=False)

    assert client.get(reverse("plans:list")).status_code == 403


# --- admin ---------------------------------------------------------------------------


def test_the_admin_list_leads_to_adding_the_row_then_to_changing_it(
    client: Any, staff_user: Any
) -> None:
    client.force_login(staff_user)
    changelist = reverse("admin:workspace_workspacesettings_changelist")

    assert client.get(changelist)["Location"] == reverse("admin:workspace_workspacesettings_add")
    workspace_settings_update(plans_enabled=True)
    assert client.get(changelist)["Location"] == reverse(
        "admin:workspace_workspacesettings_change", args=[1]
    )


def test_the_admin_offers_no_second_row_and_no_delete(client: Any, staff_user: Any) -> None:
    workspace_settings_update(plans_enabled=True)
    client.force_login(staff_user)

    assert client.get(reverse("admin:workspace_workspacesettings_add")).status_code == 403
    assert (
        client.get(reverse("admin:workspace_workspacesettings_delete", args=[1])).status_code == 403
    )
    assert WorkspaceSettings.objects.count() == 1


def test_staff_turn_plans_off_and_on_in_the_admin(client: Any, staff_user: Any) -> None:
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:workspace_workspacesettings_add"),
        {"sharing_enabled": "on", "import_export_enabled": "on"},
    )
    assert response.status_code == 302
    assert get_workspace_settings().plans_enabled is False
    assert client.get(reverse("plans:list")).status_code == 403
    # The admin stays open to staff, so they can turn plans back on.
    response = client.post(
        reverse("admin:workspace_workspacesettings_change", args=[1]),
        {"plans_enabled": "on", "sharing_enabled": "on", "import_export_enabled": "on"},
    )
    assert response.status_code == 302
    assert get_workspace_settings().plans_enabled is True
    assert client.get(reverse("plans:list")).status_code == 200


def test_a_user_who_is_not_staff_cannot_reach_the_settings_admin(client: Any, user: Any) -> None:
    client.force_login(user)

    response = client.get(reverse("admin:workspace_workspacesettings_changelist"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
