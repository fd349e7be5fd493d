"""Export: what plan.json and the flow files hold, and what they never hold."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from flows.services import flow_create
from packages.export import package_filename, plan_package
from plans.services import plan_create
from tests.packages.builders import (
    SALES,
    SECRETS,
    STOCK,
    make_world,
    members,
    unpacked_bytes,
)

pytestmark = pytest.mark.django_db


def test_the_zip_holds_plan_json_and_each_flow_once(user: Any) -> None:
    world = make_world(user)

    data = plan_package(world.plan, user=user).to_zip()

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["plan.json", "flows/sales.json", "flows/stock.json"]
        assert archive.testzip() is None
        # Readable once unzipped: a mode of 0 would make unzip create unreadable files.
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o644}
    plan_json = members(data)["plan.json"]
    assert plan_json["flows"] == {"sales": {"name": "Sales"}, "stock": {"name": "Stock"}}
    assert [t["config"].get("flow") for t in plan_json["tasks"]] == [
        None,
        "sales",
        "sales",
        "stock",
        None,
        None,
    ]


def test_plan_json_holds_the_plan_and_its_tasks_in_order(user: Any) -> None:
    world = make_world(user)

    plan_json = members(plan_package(world.plan, user=user).to_zip())["plan.json"]

    assert plan_json["formatVersion"] == 1
    assert plan_json["exportedAt"].endswith("Z")
    assert plan_json["name"] == "Nightly sales"
    assert plan_json["description"] == "Sales, then stock, then tell the team."
    assert plan_json["overlapPolicy"] == "allow"
    tasks = plan_json["tasks"]
    assert [(t["ref"], t["type"], t["runWhen"], t["upstream"]) for t in tasks] == [
        ("fetch", "http", "onSuccess", []),
        ("build_sales", "flow", "onSuccess", ["fetch"]),
        ("rebuild_sales", "flow", "onFailure", ["fetch"]),
        ("build_stock", "flow", "onSuccess", ["rebuild_sales"]),
        ("tell_team", "slack", "onSuccess", ["build_stock"]),
        ("clean_up", "delete", "always", ["build_sales", "build_stock"]),
    ]
    assert tasks[0]["name"] == "Fetch"
    assert tasks[0]["config"] == {
        "method": "POST",
        "url": "https://example.com/start",
        "headers": {"Accept": "application/json"},
        "body": '{"full": true}',
        "timeoutSeconds": 30,
        "retries": 0,
        "validateSsl": True,
        "successCodes": [200, "3xx"],
    }
    assert tasks[1]["config"] == {"flow": "sales", "outputs": ["daily"]}
    assert tasks[2]["config"] == {"flow": "sales", "outputs": []}


def test_connections_are_written_by_name(user: Any) -> None:
    world = make_world(user)

    files = members(plan_package(world.plan, user=user).to_zip())

    tasks = files["plan.json"]["tasks"]
    assert tasks[4]["config"] == {
        "connection": "team",
        "channel": "#data",
        "message": "Done: {{$plan.name}}",
    }
    assert tasks[5]["config"]["connection"] == "scratch"
    datasets = files["flows/sales.json"]["datasets"]
    assert [d["connection"] for d in datasets] == ["scratch", None]


def test_no_secret_value_is_anywhere_in_the_package(user: Any) -> None:
    world = make_world(user)

    data = plan_package(world.plan, user=user).to_zip()

    for value in SECRETS:
        assert value.encode() not in data
        assert value.encode() not in unpacked_bytes(data)
    assert members(data)["plan.json"]["secretsRequired"] == [
        "tasks[0].config.secretKey",
        "tasks[0].config.headers.Authorization",
    ]


def test_triggers_and_their_overrides_are_not_exported_but_plan_overrides_are(user: Any) -> None:
    world = make_world(user)

    data = plan_package(world.plan, user=user).to_zip()

    plan_json = members(data)["plan.json"]
    assert "triggers" not in plan_json
    assert b"apac" not in unpacked_bytes(data) and b"Every morning" not in unpacked_bytes(data)
    assert plan_json["parameterOverrides"] == {"sales": {"region": "us"}}


def test_a_flow_file_holds_the_flows_definition(user: Any) -> None:
    world = make_world(user)

    files = members(plan_package(world.plan, user=user).to_zip())

    assert files["flows/sales.json"] == {
        "name": "Sales",
        "description": "Daily sales",
        "parameters": [
            {"name": "min", "type": "number", "default": 0},
            {"name": "region", "type": "string", "default": "eu"},
        ],
        "datasets": [
            {**SALES["datasets"][0], "options": {}},
            {**SALES["datasets"][1], "connection": None},
        ],
        "recipes": SALES["recipes"],
        "outputs": [
            {
                **SALES["outputs"][0],
                "connection": None,
                "format": "csv",
                "mode": "replace",
                "options": {},
            },
            {**SALES["outputs"][1], "options": {}},
        ],
    }
    assert files["flows/stock.json"]["outputs"][0]["path"] == STOCK["outputs"][0]["path"]
    assert "webhooks" not in files["flows/sales.json"]


def test_a_flow_the_exporter_cannot_see_is_named_without_its_file(
    user: Any, other_user: Any, share: Any
) -> None:
    # A plan shared with `user`, running a flow of its owner's that is not shared with them.
    theirs = flow_create(owner=other_user, name="Their flow", definition=STOCK)
    plan = plan_create(
        owner=other_user,
        name="Uses theirs",
        tasks=[{"name": "Build", "type": "flow", "config": {"flow": theirs.pk}}],
    )
    share(plan, user)

    files = members(plan_package(plan, user=user).to_zip())

    assert list(files) == ["plan.json"]
    assert files["plan.json"]["flows"] == {"their_flow": {"name": "Their flow"}}
    assert files["plan.json"]["tasks"][0]["config"]["flow"] == "their_flow"


def test_staff_export_every_flow_of_a_plan(user: Any, staff_user: Any) -> None:
    world = make_world(user)

    files = members(plan_package(world.plan, user=staff_user).to_zip())

    assert sorted(files) == ["flows/sales.json", "flows/stock.json", "plan.json"]


def test_the_download_is_named_after_the_plan(user: Any) -> None:
    plan = plan_create(
        owner=user,
        name="Nightly: Export / EU",
        tasks=[{"name": "a", "type": "http", "config": {"url": "https://example.com"}}],
    )

    assert package_filename(plan) == "nightly-export-eu.plan.zip"
