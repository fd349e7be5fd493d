"""The flow spec: built from plain dicts, validated, and turned back into the same dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.engine import FlowError, FlowSpec
from tests.flows.conftest import flow_dict


def test_from_dict_and_to_dict_round_trip(root: Path) -> None:
    spec = flow_dict(
        root,
        [
            {"kind": "filter", "expression": "amount > $min"},
            {"kind": "join", "with": {"dataset": "regions"}, "on": ["region"]},
        ],
        parameters=[
            {"name": "min", "type": "number", "value": "5"},
            {"name": "d", "type": "date", "value": "2024-01-01"},
        ],
    )
    flow = FlowSpec.from_dict(spec)
    again = flow.to_dict()
    assert FlowSpec.from_dict(again) == flow
    assert again["parameters"] == [
        {"name": "min", "type": "number", "value": 5},
        {"name": "d", "type": "date", "value": "2024-01-01"},
    ]
    assert again["recipes"][0]["steps"][1] == {
        "kind": "join",
        "with": {"dataset": "regions"},
        "on": ["region"],
    }


def test_secrets_stay_out_of_to_dict_unless_asked(root: Path) -> None:
    spec = flow_dict(root, [])
    spec["datasets"][0]["location"] = {
        "kind": "s3",
        "bucket": "b",
        "access_key_id": "AK",
        "secret_access_key": "SECRET",
    }
    flow = FlowSpec.from_dict(spec)
    assert "SECRET" not in repr(flow) and "SECRET" not in str(flow.to_dict())
    assert (
        flow.to_dict(include_secrets=True)["datasets"][0]["location"]["secret_access_key"]
        == "SECRET"
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s["recipes"][0].update(source={"dataset": "ghost"}), "no dataset named 'ghost'"),
        (lambda s: s["outputs"][0].update(recipe="ghost"), "no recipe named 'ghost'"),
        (lambda s: s["outputs"][0].update(mode="overwrite"), "mode 'overwrite'"),
        (lambda s: s["outputs"][0].update(format="xlsx"), "format 'xlsx'"),
        (lambda s: s["datasets"][0].update(options={"sheet": 1}), "unknown csv options"),
        (lambda s: s["recipes"][0]["steps"].append({"kind": "explode"}), "step kind 'explode'"),
        (
            lambda s: s["recipes"][0]["steps"].append(
                {"kind": "aggregate", "measures": [{"name": "x", "fn": "median", "column": "a"}]}
            ),
            "'median' is not one of",
        ),
        (
            lambda s: s["recipes"][0]["steps"].append(
                {"kind": "join", "with": {"recipe": "main"}, "how": "cross", "on": ["a"]}
            ),
            "how must be",
        ),
        (
            lambda s: s["recipes"][0]["steps"].append(
                {"kind": "cast", "columns": {"a": "money; DROP"}}
            ),
            "not a known type",
        ),
        (
            lambda s: s["recipes"][0]["steps"].append(
                {"kind": "union", "with": {"recipe": "main"}}
            ),
            "circle: main -> main",
        ),
        (
            lambda s: s["parameters"].append({"name": "bad name", "type": "string", "value": "x"}),
            "Parameter name 'bad name'",
        ),
        (lambda s: s["datasets"].append(dict(s["datasets"][0])), "Two datasets are named 'sales'"),
        (
            lambda s: s["datasets"][0].update(location={"kind": "local", "root": "relative"}),
            "absolute root",
        ),
    ],
)
def test_from_dict_refuses_a_broken_flow(root: Path, change, words: str) -> None:
    spec = flow_dict(root, [])
    change(spec)
    with pytest.raises(FlowError, match=words.replace("(", r"\(")):
        FlowSpec.from_dict(spec)
