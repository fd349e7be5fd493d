"""Export and Import on the pages (Plan View, the plans list) and their links in the admin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flows.models import Flow
from plans.models import Plan
from tests.packages.builders import SECRETS, make_world, members, unpacked_bytes, zip_of
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db

PLAIN = {
    "formatVersion": 1,
    "name": "Ping",
    "tasks": [{"name": "Ping", "type": "http", "config": {"url": "https://example.com/ping"}}],
}


def upload(client: Any, data: bytes, name: str = "plan.zip") -> Any:
    return client.post(reverse("plans:import"), {"file": SimpleUploadedFile(name, data)})


def test_plan_view_has_an_export_button_that_downloads_the_package(client: Any, user: Any) -> None:
    world = make_world(user)
    client.force_login(user)
    export_url = reverse("plans:export", args=[world.plan.pk])

    page = client.get(reverse("plans:detail", args=[world.plan.pk])).content.decode()
    response = client.get(export_url)

    assert f'id="export-plan" href="{export_url}"' in page
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="nightly-sales.plan.zip"'
    assert sorted(members(response.content)) == [
        "flows/sales.json",
        "flows/stock.json",
        "plan.json",
    ]
    assert not any(value.encode() in unpacked_bytes(response.content) for value in SECRETS)


def test_an_outsider_cannot_download_someone_elses_plan(
    client: Any, user: Any, other_user: Any
) -> None:
    world = make_world(user)
    client.force_login(other_user)

    assert client.get(reverse("plans:export", args=[world.plan.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Any, user: Any) -> None:
    world = make_world(user)

    response = client.get(reverse("plans:export", args=[world.plan.pk]))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_plans_list_has_an_import_form(client: Any, user: Any) -> None:
    client.force_login(user)

    page = client.get(reverse("plans:list")).content.decode()

    assert 'id="import-plan"' in page and f'action="{reverse("plans:import")}"' in page


def test_importing_opens_the_new_plan_and_names_the_secrets_to_fill_in(
    client: Any, user: Any
) -> None:
    world = make_world(user)
    client.force_login(user)
    data = client.get(reverse("plans:export", args=[world.plan.pk])).content

    response = upload(client, data)

    plan = Plan.objects.get(name="Nightly sales (imported)")
    assert plan.owner == user
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[plan.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Imported “Nightly sales (imported)”." in page
    assert "tasks[0].config.secretKey, tasks[0].config.headers.Authorization" in page


def test_a_plain_plan_json_imports_from_the_page(client: Any, user: Any) -> None:
    client.force_login(user)

    response = upload(client, json.dumps(PLAIN).encode(), name="plan.json")

    assert response.status_code == 302
    assert Plan.objects.get().name == "Ping"


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (
            zip_of({"../plan.json": PLAIN}),
            "file: Unsafe file name in the package: &#x27;../plan.json&#x27;.",
        ),
        (
            json.dumps({**PLAIN, "tasks": [{"name": "x", "config": {"url": "nope"}}]}).encode(),
            "tasks[0].config.url: Enter a valid URL.",
        ),
        (b"hello", "file: Not a plan package"),
    ],
)
def test_a_bad_upload_shows_its_problems_on_the_page_and_saves_nothing(
    client: Any, user: Any, data: bytes, shown: str
) -> None:
    make_world(user)
    client.force_login(user)
    before = (Plan.objects.count(), Flow.objects.count())

    response = upload(client, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="import-errors"' in page and shown in page
    assert (Plan.objects.count(), Flow.objects.count()) == before


def test_an_upload_without_a_file_is_a_form_error(client: Any, user: Any) -> None:
    client.force_login(user)

    response = client.post(reverse("plans:import"), {})

    assert response.status_code == 400
    assert 'id="error-file"' in response.content.decode()
    assert not Plan.objects.exists()


def test_an_upload_over_the_limit_is_a_form_error(client: Any, user: Any, settings: Any) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 1024
    client.force_login(user)

    response = upload(client, b"{" + b" " * 2048 + b"}")

    assert response.status_code == 400
    assert "larger than the limit of 1,024 bytes" in response.content.decode()
    assert not Plan.objects.exists()


def test_when_the_workspace_turns_it_off_the_pages_hide_and_refuse_it(
    client: Any, user: Any
) -> None:
    world = make_world(user)
    client.force_login(user)
    workspace_settings_update(import_export_enabled=False)

    detail = client.get(reverse("plans:detail", args=[world.plan.pk])).content.decode()
    listing = client.get(reverse("plans:list")).content.decode()

    assert 'id="export-plan"' not in detail and 'id="import-plan"' not in listing
    assert client.get(reverse("plans:export", args=[world.plan.pk])).status_code == 403
    assert upload(client, json.dumps(PLAIN).encode()).status_code == 403
    assert Plan.objects.count() == 1


def test_the_admin_links_to_export_and_import(client: Any, staff_user: Any, user: Any) -> None:
    world = make_world(user)
    client.force_login(staff_user)

    change = client.get(reverse("admin:plans_plan_change", args=[world.plan.pk])).content.decode()
    changelist = client.get(reverse("admin:plans_plan_changelist")).content.decode()

    assert f'href="{reverse("plans:export", args=[world.plan.pk])}" id="admin-export"' in change
    assert f'href="{reverse("plans:import")}" id="admin-import"' in changelist
