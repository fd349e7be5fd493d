"""Parameters: coercion, binding in expressions, and safe insertion into paths."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.engine import FlowError, FlowSpec, ParameterError, coerce_parameter, run_flow
from tests.flows.conftest import RunFlow, flow_dict

INJECTION = "x'; DROP TABLE t; --"


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("string", "eu", "eu"),
        ("string", 12, "12"),
        ("number", "12", 12),
        ("number", " 2.5 ", 2.5),
        ("number", 3, 3),
        ("boolean", "Yes", True),
        ("boolean", "false", False),
        ("boolean", 1, True),
        ("date", "2024-02-29", dt.date(2024, 2, 29)),
        ("date", dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ],
)
def test_it_coerces_parameter_values(kind: str, given: object, expected: object) -> None:
    assert coerce_parameter(kind, given) == expected


@pytest.mark.parametrize(
    ("kind", "given", "words"),
    [
        ("number", "twelve", "must be a number"),
        ("number", True, "not a boolean"),
        ("number", "nan", "finite"),
        ("boolean", "maybe", "true or false"),
        ("date", "2024-13-01", "YYYY-MM-DD"),
        ("date", dt.datetime(2024, 1, 1, 12), "without a time"),
        ("string", None, "needs a string value"),
        ("string", ["a"], "must be text"),
        ("colour", "red", "unknown type"),
    ],
)
def test_it_refuses_values_of_the_wrong_type(kind: str, given: object, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        coerce_parameter(kind, given, name="p")


def test_parameters_are_bound_as_values_in_expressions(run: RunFlow) -> None:
    parameters = [
        {"name": "category", "type": "string", "value": "books"},
        {"name": "since", "type": "date", "value": "2024-01-02"},
        {"name": "min", "type": "number", "value": 5},
    ]
    steps = [
        {
            "kind": "filter",
            "expression": "category = $category AND day >= $since AND amount > $min",
        },
        {"kind": "derive", "column": "note", "expression": "'costs $min' || ' ' || $category"},
    ]
    result, _ = run(steps, parameters=parameters)
    assert [row["id"] for row in result.preview] == [3, 6]
    # "$min" inside a string literal is text, not a parameter.
    assert result.preview[0]["note"] == "costs $min books"
    overridden, _ = run(steps, parameters=parameters, values={"min": "8"})
    assert [row["id"] for row in overridden.preview] == [6]


def test_an_injection_value_is_inert_in_sql(run: RunFlow, root: Path) -> None:
    parameters = [{"name": "category", "type": "string", "value": INJECTION}]
    result, _ = run(
        [
            {"kind": "filter", "expression": "category <> $category"},
            {"kind": "derive", "column": "echo", "expression": "$category"},
        ],
        parameters=parameters,
    )
    assert result.row_count == 6
    assert result.preview[0]["echo"] == INJECTION
    assert (root / "data" / "sales.csv").exists()


def test_an_unknown_parameter_reference_is_named(run: RunFlow) -> None:
    with pytest.raises(FlowError, match=r"unknown parameter \$nope"):
        run([{"kind": "filter", "expression": "amount > $nope"}])


def test_overriding_an_undeclared_parameter_is_refused(run: RunFlow) -> None:
    with pytest.raises(ParameterError, match="no parameter named region"):
        run([], values={"region": "eu"})


def test_parameters_choose_the_dataset_file(root: Path) -> None:
    (root / "data" / "eu").mkdir()
    (root / "data" / "eu" / "sales.csv").write_text("id,amount\n1,5\n2,6\n")
    spec = flow_dict(root, [], parameters=[{"name": "region", "type": "string", "value": "eu"}])
    spec["datasets"][0]["path"] = "data/{region}/sales.csv"
    (result,) = run_flow(FlowSpec.from_dict(spec), outputs=None, parameters={}, run_id=1, log=print)
    assert result.row_count == 2


@pytest.mark.parametrize("value", ["../../etc/passwd", "..", "a/b", "*", "eu/**", "x{y}", ""])
def test_a_path_escaping_or_widening_value_is_refused(root: Path, value: str) -> None:
    spec = flow_dict(root, [], parameters=[{"name": "region", "type": "string", "value": "eu"}])
    spec["datasets"][0]["path"] = "data/{region}/sales.csv"
    flow = FlowSpec.from_dict(spec)
    with pytest.raises(FlowError, match="cannot be used in a path"):
        run_flow(flow, outputs=None, parameters={"region": value}, run_id=1, log=print)


def test_an_output_path_cannot_escape_its_root_either(root: Path, tmp_path: Path) -> None:
    spec = flow_dict(root, [], parameters=[{"name": "name", "type": "string", "value": "x"}])
    spec["outputs"][0]["path"] = "out/{name}.csv"
    flow = FlowSpec.from_dict(spec)
    with pytest.raises(FlowError, match="cannot be used in a path"):
        run_flow(flow, outputs=None, parameters={"name": "../../escaped"}, run_id=1, log=print)
    assert not list(tmp_path.rglob("escaped*"))


def test_output_paths_take_run_id_date_and_timestamp(root: Path) -> None:
    spec = flow_dict(root, [], parameters=[{"name": "region", "type": "string", "value": "eu"}])
    spec["outputs"][0]["path"] = "out/{region}/{date}/run-{runId}-{timestamp}.csv"
    (result,) = run_flow(
        FlowSpec.from_dict(spec), outputs=None, parameters={}, run_id=42, log=print
    )
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert result.path.startswith(f"out/eu/{today}/run-42-")
    assert (root / result.path).is_file()
