"""Import: a package becomes an equal plan owned by the importer, or nothing at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.serializers import PlanOutputSerializer
from connections.models import Secret
from connections.resolve import resolve_secret
from flows.models import Flow, Output
from packages.export import flow_file, plan_package
from packages.format import PackageError
from packages.importing import plan_import
from plans.models import Plan, PlanTask, Trigger
from plans.services import plan_delete
from tests.packages.builders import (
    AUTH_HEADER,
    SIGNING_KEY,
    make_connections,
    make_world,
    members,
    without_stamp,
    zip_of,
)

pytestmark = pytest.mark.django_db

# What an importer types in for the package's `secretsRequired`.
FILLED_IN = {
    "tasks[0].config.secretKey": "their-signing-key",
    "tasks[0].config.headers.Authorization": "Bearer theirs",
}


def counts() -> dict[str, int]:
    return {
        "plans": Plan.objects.count(),
        "tasks": PlanTask.objects.count(),
        "flows": Flow.objects.count(),
        "secrets": Secret.objects.count(),
        "overrides": sum(len(p.parameter_overrides) for p in Plan.objects.all()),
    }


def comparable(plan: Plan) -> list[dict[str, Any]]:
    """The plan's tasks as the API shows them, with flows named instead of numbered."""
    plan = Plan.objects.prefetch_related("tasks").get(pk=plan.pk)
    tasks = PlanOutputSerializer(plan).data["tasks"]
    flows = dict(Flow.objects.values_list("pk", "name"))
    for task in tasks:
        task.pop("id")
        if task["type"] == "flow":
            config = task["config"]
            config["flow"] = flows[config["flow"]].removesuffix(" (imported)")
            config.pop("flowName")
            config.pop("outputIds")
    return tasks


def test_it_creates_an_equal_plan_with_new_flows(user: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()

    imported = plan_import(owner=user, data=data)

    plan = imported.plan
    assert plan.pk != world.plan.pk and plan.owner == user
    assert plan.name == "Nightly sales (imported)"
    assert plan.description == world.plan.description
    assert [f.name for f in imported.flows] == ["Sales (imported)", "Stock (imported)"]
    expected = comparable(world.plan)
    expected[0]["config"]["secretKeySet"] = False
    expected[0]["config"]["headers"] = {"Accept": "application/json"}
    assert comparable(plan) == expected
    assert not Trigger.objects.filter(plan=plan).exists()
    assert plan.parameter_overrides == {"Sales (imported)": {"region": "us"}}
    new_sales = Flow.objects.get(name="Sales (imported)")
    assert new_sales.owner == user
    assert {**flow_file(new_sales), "name": "Sales"} == flow_file(world.sales)
    assert imported.secrets_missing == [
        "tasks[0].config.secretKey",
        "tasks[0].config.headers.Authorization",
    ]


def test_a_round_trip_gives_the_same_files(user: Any) -> None:
    world = make_world(user)
    first = members(plan_package(world.plan, user=user).to_zip())
    plan_delete(plan=world.plan)
    # Outputs protect their recipes, so they go first.
    Output.objects.filter(flow__in=[world.sales, world.stock]).delete()
    Flow.objects.filter(pk__in=[world.sales.pk, world.stock.pk]).delete()

    imported = plan_import(owner=user, data=zip_of(first), secrets=FILLED_IN)
    second = members(plan_package(imported.plan, user=user).to_zip())

    assert imported.plan.name == "Nightly sales"
    assert without_stamp(second.pop("plan.json")) == without_stamp(first.pop("plan.json"))
    assert second == first


def test_a_round_trip_beside_the_original_differs_only_in_names(user: Any) -> None:
    world = make_world(user)
    first = members(plan_package(world.plan, user=user).to_zip())

    imported = plan_import(owner=user, data=zip_of(first), secrets=FILLED_IN)
    second = members(plan_package(imported.plan, user=user).to_zip())

    again, original = without_stamp(second["plan.json"]), without_stamp(first["plan.json"])
    assert again.pop("name") == "Nightly sales (imported)"
    assert again.pop("flows") == {
        "sales_imported": {"name": "Sales (imported)"},
        "stock_imported": {"name": "Stock (imported)"},
    }
    original.pop("name"), original.pop("flows")
    renamed = json.loads(
        json.dumps(again)
        .replace('"sales_imported"', '"sales"')
        .replace('"stock_imported"', '"stock"')
    )
    assert renamed == original


def test_supplied_secrets_are_stored_encrypted(user: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()

    imported = plan_import(
        owner=user,
        data=data,
        secrets={
            "tasks[0].config.secretKey": "new-signing-key",
            "tasks[0].config.headers.Authorization": AUTH_HEADER,
        },
    )

    task = imported.plan.tasks.get(position=1)
    assert resolve_secret(task.secrets["secretKey"]) == "new-signing-key"
    assert SIGNING_KEY not in json.dumps(task.config)
    assert task.config["headers"] == {"Accept": "application/json", "Authorization": AUTH_HEADER}
    assert imported.secrets_missing == []


def test_a_secret_the_package_does_not_ask_for_is_refused(user: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=user, data=data, secrets={"tasks[1].config.flow": "1"})

    assert raised.value.errors == {
        "secrets.tasks[1].config.flow": ["The package does not ask for this secret."]
    }
    assert counts() == before


@pytest.mark.parametrize("value", ["", "a\x00b", 7])
def test_a_supplied_secret_must_be_text_without_nul(user: Any, value: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=user, data=data, secrets={"tasks[0].config.secretKey": value})

    assert list(raised.value.errors) == ["secrets.tasks[0].config.secretKey"]
    assert counts() == before


def test_a_plain_plan_json_without_flows_imports(user: Any) -> None:
    plan_json = {
        "formatVersion": 1,
        "name": "Ping",
        "tasks": [{"name": "Ping", "type": "http", "config": {"url": "https://example.com/ping"}}],
    }

    imported = plan_import(owner=user, data=json.dumps(plan_json).encode())

    assert imported.plan.name == "Ping" and imported.flows == []
    assert imported.plan.tasks.get().config["url"] == "https://example.com/ping"


def test_a_flow_without_its_file_is_found_by_name(user: Any) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    del files["flows/stock.json"]
    before = Flow.objects.count()

    imported = plan_import(owner=user, data=zip_of(files))

    assert [f.name for f in imported.flows] == ["Sales (imported)"]
    assert Flow.objects.count() == before + 1
    assert imported.plan.tasks.get(ref="build_stock").config["flow"] == world.stock.pk


def test_a_flow_without_its_file_that_the_importer_cannot_see_is_an_error(
    user: Any, other_user: Any
) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    del files["flows/stock.json"]
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=other_user, data=zip_of(files))

    assert "you have no flow named 'Stock'" in raised.value.errors["flows.stock"][0]
    assert counts() == before


def test_connections_the_importer_cannot_use_are_errors(user: Any, other_user: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=other_user, data=data)

    errors = raised.value.errors
    assert errors["tasks[4].config.connection"] == [
        "No connection named 'team' among the connections you can use."
    ]
    assert "tasks[5].config.connection" in errors
    assert "flows/sales.json:datasets[0].connection" in errors
    assert counts() == before


def test_another_user_with_the_same_connections_gets_the_plan_under_its_own_name(
    user: Any, other_user: Any, staff_user: Any
) -> None:
    plan_json = {
        "formatVersion": 1,
        "name": "Tell",
        "tasks": [
            {
                "name": "Tell",
                "type": "slack",
                "config": {"connection": "team", "channel": "#x", "message": "hi"},
            }
        ],
    }
    team, _ = make_connections(other_user)

    imported = plan_import(owner=other_user, data=json.dumps(plan_json).encode())

    assert imported.plan.name == "Tell"
    assert imported.plan.tasks.get().config["connection"] == team.pk


def test_a_bad_task_is_named_by_its_path_and_nothing_is_saved(user: Any) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    files["plan.json"]["tasks"][0]["config"]["url"] = "not a url"
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=user, data=zip_of(files))

    assert raised.value.message == "tasks[0].config.url: Enter a valid URL."
    assert counts() == before


def test_a_bad_parameter_override_is_named_by_flow_key(user: Any) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    files["plan.json"]["parameterOverrides"] = {"sales": {"regoin": "us"}}
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=user, data=zip_of(files))

    assert list(raised.value.errors) == ["parameterOverrides.sales.regoin"]
    assert counts() == before


@pytest.mark.parametrize(
    ("member", "change", "path", "message"),
    [
        (
            "plan.json",
            lambda p: p.update(formatVersion=2),
            "formatVersion",
            "Unknown format version 2",
        ),
        ("plan.json", lambda p: p.pop("formatVersion"), "formatVersion", "Missing"),
        ("plan.json", lambda p: p.update(triggers=[]), "triggers", "Unknown field."),
        ("plan.json", lambda p: p.update(overlapPolicy="never"), "overlapPolicy", "Choose one of"),
        ("plan.json", lambda p: p["tasks"][0].update(id=5), "tasks[0].id", "Unknown field."),
        (
            "plan.json",
            lambda p: p["tasks"][1]["config"].update(flow=7),
            "tasks[1].config.flow",
            "not one",
        ),
        (
            "plan.json",
            lambda p: p["tasks"][4]["config"].update(connection=1),
            "tasks[4].config.connection",
            "name",
        ),
        ("plan.json", lambda p: p.update(name=""), "name", "This field is required."),
        (
            "plan.json",
            lambda p: p["tasks"][4].update(type=["slack"]),
            "tasks[4].type",
            "Choose one of",
        ),
        ("plan.json", lambda p: p.update(tasks={}), "tasks", "Give a list of tasks."),
        ("plan.json", lambda p: p.update(flows=[]), "flows", "Must be an object."),
        (
            "flows/sales.json",
            lambda f: f["datasets"][0].pop("path"),
            "flows/sales.json:datasets[0].path",
            "This field is required.",
        ),
        (
            "flows/sales.json",
            lambda f: f["recipes"][0].update(source={"recipe": "top"}),
            "flows/sales.json",
            "circle",
        ),
        (
            "flows/sales.json",
            lambda f: f["outputs"][0].update(name="x" * 101),
            "flows/sales.json:outputs[0].name",
            "At most 100 characters.",
        ),
        (
            "flows/sales.json",
            lambda f: f["parameters"][0].update(default="lots"),
            "flows/sales.json",
            "min",
        ),
        (
            "flows/sales.json",
            lambda f: f.update(webhooks=[]),
            "flows/sales.json:webhooks",
            "Unknown field.",
        ),
    ],
)
def test_a_bad_file_is_named_by_its_path_and_nothing_is_saved(
    user: Any, member: str, change: Any, path: str, message: str
) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    change(files[member])
    before = counts()

    with pytest.raises(PackageError) as raised:
        plan_import(owner=user, data=zip_of(files))

    assert message in " ".join(raised.value.errors[path])
    assert counts() == before


def test_the_overlap_policy_comes_along(user: Any) -> None:
    world = make_world(user)
    files = members(plan_package(world.plan, user=user).to_zip())
    files["plan.json"]["overlapPolicy"] = "queue"

    imported = plan_import(owner=user, data=zip_of(files))

    assert Plan.objects.get(pk=imported.plan.pk).overlap_policy == "queue"


def test_names_already_taken_are_numbered(user: Any) -> None:
    world = make_world(user)
    data = plan_package(world.plan, user=user).to_zip()

    plan_import(owner=user, data=data)
    third = plan_import(owner=user, data=data)

    assert third.plan.name == "Nightly sales (imported 2)"
    assert [f.name for f in third.flows] == ["Sales (imported 2)", "Stock (imported 2)"]
