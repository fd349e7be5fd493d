"""Flow parameters in plans: override checks, precedence, and the 400 of POST /v4/plans/{id}/run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core.errors import ServiceValidationError
from flows.engine import ParameterError, ParameterSpec
from flows.parameters import effective_parameters, plan_parameter_rows, validate_parameter_overrides
from flows.services import flow_create, plan_override_set
from plans.services import plan_create
from runs.models import PlanRun
from runs.services import run_plan

pytestmark = pytest.mark.django_db


def make_flow(owner: Any, name: str = "Sales") -> Any:
    return flow_create(
        owner=owner,
        name=name,
        definition={
            "parameters": [
                {"name": "region", "type": "string", "default": "eu"},
                {"name": "min", "type": "number", "default": 0},
                {"name": "day", "type": "date", "default": "2024-01-01"},
            ],
            "datasets": [{"name": "sales", "path": "data/{region}.csv", "format": "csv"}],
            "recipes": [
                {
                    "name": "big",
                    "source": {"dataset": "sales"},
                    "steps": [{"kind": "filter", "expression": "amount > $min"}],
                }
            ],
            "outputs": [{"name": "out", "recipe": "big", "path": "out/{day}.csv"}],
        },
    )


def make_plan(owner: Any, flow: Any) -> Any:
    return plan_create(
        owner=owner,
        name="Nightly",
        tasks=[{"name": "build", "type": "flow", "config": {"flow": flow.pk}}],
    )


def test_it_accepts_overrides_that_fit_the_flows_of_the_plan(user: Any) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)

    assert validate_parameter_overrides(plan, {"Sales": {"region": "us", "min": "5"}}) == {}


def test_it_reports_unknown_flows_unknown_parameters_and_wrong_types_by_path(user: Any) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)

    errors = validate_parameter_overrides(
        plan, {"Sales": {"regoin": "us", "min": "lots", "day": "yesterday"}, "Other": {"a": 1}}
    )

    assert set(errors) == {
        "parameterOverrides.Sales.regoin",
        "parameterOverrides.Sales.min",
        "parameterOverrides.Sales.day",
        "parameterOverrides.Other",
    }
    assert "no parameter named 'regoin'" in errors["parameterOverrides.Sales.regoin"][0]
    assert "must be a number" in errors["parameterOverrides.Sales.min"][0]


def test_run_plan_refuses_bad_overrides_and_creates_no_run(user: Any) -> None:
    plan = make_plan(user, make_flow(user))

    with pytest.raises(ServiceValidationError) as raised:
        run_plan(plan=plan, source="api", parameter_overrides={"Sales": {"min": True}})

    assert list(raised.value.errors) == ["parameterOverrides.Sales.min"]
    assert not PlanRun.objects.exists()


def test_a_run_freezes_the_plan_and_trigger_layers_in_its_snapshot(user: Any) -> None:
    from plans.models import Trigger

    flow = make_flow(user)
    plan = make_plan(user, flow)
    plan_override_set(plan=plan, flow=flow, name="min", value="2.5")
    trigger = Trigger.objects.create(
        plan=plan, name="t", cron="0 1 * * *", parameter_overrides={"Sales": {"region": "us"}}
    )

    run = run_plan(plan=plan, source="schedule", trigger=trigger)
    plan_override_set(plan=plan, flow=flow, name="min", value="99")

    assert run.snapshot["types"]["flow"] == {
        "plan": {"Sales": {"min": 2.5}},
        "trigger": {"Sales": {"region": "us"}},
    }


def test_post_run_with_an_unknown_parameter_or_a_wrong_type_is_a_400(
    user: Any, api_client: Any
) -> None:
    plan = make_plan(user, make_flow(user))
    client = api_client(user)

    unknown = client.post(
        f"/v4/plans/{plan.pk}/run", {"parameterOverrides": {"Sales": {"nope": 1}}}, format="json"
    )
    wrong = client.post(
        f"/v4/plans/{plan.pk}/run", {"parameterOverrides": {"Sales": {"day": 7}}}, format="json"
    )
    good = client.post(
        f"/v4/plans/{plan.pk}/run", {"parameterOverrides": {"Sales": {"min": 3}}}, format="json"
    )

    assert unknown.status_code == 400, unknown.content
    assert "parameterOverrides.Sales.nope" in unknown.json()["error"]["details"]
    assert wrong.status_code == 400
    assert "parameterOverrides.Sales.day" in wrong.json()["error"]["details"]
    assert good.status_code == 201
    assert PlanRun.objects.get().parameter_overrides == {"Sales": {"min": 3}}


def test_effective_values_say_which_layer_set_them() -> None:
    declared = [
        ParameterSpec("a", "string", "a0"),
        ParameterSpec("n", "number", 1),
        ParameterSpec("d", "date", dt.date(2024, 1, 1)),
    ]

    values = effective_parameters(
        "F",
        declared,
        [
            ("plan", {"F": {"n": "2"}, "Other": {"a": "ignored"}}),
            ("trigger", {"F": {"d": "2024-02-02"}}),
            ("run", {"F": {"n": 3}}),
        ],
    )

    assert values == {
        "a": {"value": "a0", "source": "flow default"},
        "n": {"value": 3, "source": "run"},
        "d": {"value": dt.date(2024, 2, 2), "source": "trigger"},
    }


def test_a_stale_override_names_its_layer() -> None:
    with pytest.raises(ParameterError, match="trigger override sets parameter 'gone'"):
        effective_parameters("F", [], [("trigger", {"F": {"gone": 1}})])


def test_plan_overrides_are_checked_and_listed_with_inherited_values(user: Any) -> None:
    flow = make_flow(user)
    plan = make_plan(user, flow)

    plan_override_set(plan=plan, flow=flow, name="day", value="2025-03-04")
    with pytest.raises(ServiceValidationError) as raised:
        plan_override_set(plan=plan, flow=flow, name="min", value="many")

    assert list(raised.value.errors) == ["parameterOverrides.Sales.min"]
    rows = {row.parameter.name: row for row in plan_parameter_rows(plan)}
    assert rows["day"].default_text == "2024-01-01"
    assert rows["day"].override_text == "2025-03-04"
    assert not rows["min"].overridden and rows["min"].effective == 0
