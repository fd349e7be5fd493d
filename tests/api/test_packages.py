"""Plan packages through the API: GET /v4/plans/{id}/package and POST /v4/plans/package."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from connections.models import Secret
from flows.models import Flow
from plans.models import Plan, PlanTask
from tests.packages.builders import SECRETS, make_world, members, unpacked_bytes, zip_of
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db

PLAIN = {
    "formatVersion": 1,
    "name": "Ping",
    "tasks": [{"name": "Ping", "type": "http", "config": {"url": "https://example.com/ping"}}],
}


def counts() -> tuple[int, int, int, int]:
    return (
        Plan.objects.count(),
        PlanTask.objects.count(),
        Flow.objects.count(),
        Secret.objects.count(),
    )


def test_it_exports_a_zip_with_a_file_name(user: Any, api_client: Any) -> None:
    world = make_world(user)

    response = api_client(user).get(f"/v4/plans/{world.plan.pk}/package")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="nightly-sales.plan.zip"'
    assert sorted(members(response.content)) == [
        "flows/sales.json",
        "flows/stock.json",
        "plan.json",
    ]
    for value in SECRETS:
        assert value.encode() not in response.content
        assert value.encode() not in unpacked_bytes(response.content)


def test_an_outsider_cannot_export_someone_elses_plan(
    user: Any, other_user: Any, api_client: Any
) -> None:
    world = make_world(user)

    response = api_client(other_user).get(f"/v4/plans/{world.plan.pk}/package")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_staff_may_export_any_plan(user: Any, staff_user: Any, api_client: Any) -> None:
    world = make_world(user)

    assert api_client(staff_user).get(f"/v4/plans/{world.plan.pk}/package").status_code == 200


def test_without_a_token_both_answer_401(user: Any, client: Any) -> None:
    world = make_world(user)

    assert client.get(f"/v4/plans/{world.plan.pk}/package").status_code == 401
    assert (
        client.post("/v4/plans/package", b"{}", content_type="application/json").status_code == 401
    )


def test_it_imports_a_zip_sent_as_multipart(user: Any, api_client: Any) -> None:
    world = make_world(user)
    data = api_client(user).get(f"/v4/plans/{world.plan.pk}/package").content

    response = api_client(user).post(
        "/v4/plans/package",
        {
            "file": io.BytesIO(data),
            "secrets": json.dumps({"tasks[0].config.secretKey": "theirs"}),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    plan = Plan.objects.get(pk=body["id"])
    assert plan.owner == user and body["name"] == "Nightly sales (imported)"
    assert body == api_client(user).get(f"/v4/plans/{plan.pk}").json()
    assert [t["ref"] for t in body["tasks"]] == [
        "fetch",
        "build_sales",
        "rebuild_sales",
        "build_stock",
        "tell_team",
        "clean_up",
    ]
    assert body["tasks"][0]["config"]["secretKeySet"] is True


@pytest.mark.parametrize("content_type", ["application/zip", "application/json"])
def test_it_imports_a_raw_body(user: Any, api_client: Any, content_type: str) -> None:
    data = (
        zip_of({"plan.json": PLAIN}) if content_type.endswith("zip") else json.dumps(PLAIN).encode()
    )

    response = api_client(user).post("/v4/plans/package", data, content_type=content_type)

    assert response.status_code == 201
    assert response.json()["name"] == "Ping"
    assert Plan.objects.get().owner == user


def bomb() -> bytes:
    return zip_of({"plan.json": PLAIN, "flows/big.json": b" " * (8 * 1024 * 1024)})


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (b"hello", "file", "Not a plan package"),
        (b"PK\x03\x04garbage", "file", "Not a valid ZIP file"),
        (
            zip_of({"../plan.json": PLAIN}),
            "file",
            "Unsafe file name in the package: '../plan.json'.",
        ),
        (zip_of({"flows/a.json": {}}), "file", "The package holds no plan.json."),
        (
            json.dumps({**PLAIN, "formatVersion": 9}).encode(),
            "formatVersion",
            "Unknown format version 9",
        ),
        (b'{"formatVersion": 1', "plan.json", "Not valid JSON"),
        (
            json.dumps({**PLAIN, "tasks": [{"name": "x", "config": {"url": "nope"}}]}).encode(),
            "tasks[0].config.url",
            "Enter a valid URL.",
        ),
        (bomb(), "file", "The unpacked package is larger than the limit"),
    ],
)
def test_a_bad_file_is_a_400_naming_the_problem_and_saves_nothing(
    user: Any, api_client: Any, settings: Any, data: bytes, field: str, message: str
) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 1024 * 1024
    make_world(user)
    before = counts()

    response = api_client(user).post(
        "/v4/plans/package", {"file": io.BytesIO(data)}, format="multipart"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{field}: {message}")
    assert field in error["details"]
    assert counts() == before


def test_a_bad_flow_file_is_a_400_and_saves_no_flow(user: Any, api_client: Any) -> None:
    world = make_world(user)
    files = members(api_client(user).get(f"/v4/plans/{world.plan.pk}/package").content)
    files["flows/stock.json"]["outputs"][0]["recipe"] = "missing"
    before = counts()

    response = api_client(user).post(
        "/v4/plans/package", zip_of(files), content_type="application/zip"
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("flows/stock.json")
    assert counts() == before


def test_an_oversized_body_is_a_400(user: Any, api_client: Any, settings: Any) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 1024

    response = api_client(user).post(
        "/v4/plans/package", b"{" + b" " * 4096 + b"}", content_type="application/json"
    )

    assert response.status_code == 400
    assert (
        response.json()["error"]["message"]
        == "file: The file is larger than the limit of 1,024 bytes."
    )


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({}, "file", "Attach the package as the file field `file`."),
        ({"file": "text"}, "file", "Attach the package as the file field `file`."),
        ({"upload": "x"}, "upload", "Unknown field."),
        (
            {"secrets": "[1]", "file": b"x"},
            "secrets",
            "Give a JSON object of secret paths to values.",
        ),
        (
            {"secrets": '{"a": "\\u0000"}', "file": b"x"},
            "secrets",
            "Null characters are not allowed.",
        ),
    ],
)
def test_a_bad_multipart_form_is_a_400(
    user: Any, api_client: Any, fields: dict[str, Any], path: str, message: str
) -> None:
    form = {k: io.BytesIO(v) if isinstance(v, bytes) else v for k, v in fields.items()}

    response = api_client(user).post("/v4/plans/package", form, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {path: [message]}
    assert not Plan.objects.exists()


def test_when_the_workspace_turns_it_off_both_answer_403(user: Any, api_client: Any) -> None:
    world = make_world(user)
    workspace_settings_update(import_export_enabled=False)
    before = counts()

    exported = api_client(user).get(f"/v4/plans/{world.plan.pk}/package")
    imported = api_client(user).post(
        "/v4/plans/package", json.dumps(PLAIN).encode(), content_type="application/json"
    )

    for response in (exported, imported):
        assert response.status_code == 403
        assert response.json()["error"] == {
            "code": "feature_disabled",
            "message": "Export and import are turned off in this workspace's settings.",
            "details": {},
        }
    assert counts() == before


def test_with_plans_turned_off_both_answer_403_like_every_plan_endpoint(
    user: Any, api_client: Any
) -> None:
    world = make_world(user)
    workspace_settings_update(plans_enabled=False)
    before = counts()

    exported = api_client(user).get(f"/v4/plans/{world.plan.pk}/package")
    imported = api_client(user).post(
        "/v4/plans/package", json.dumps(PLAIN).encode(), content_type="application/json"
    )

    for response in (exported, imported):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "feature_disabled"
        assert "Plans are turned off" in response.json()["error"]["message"]
    assert counts() == before
