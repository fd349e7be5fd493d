"""Every recipe step type, run for real over a small CSV."""

from __future__ import annotations

from typing import Any

import pytest

from flows.engine import FlowError
from tests.flows.conftest import RunFlow


def ids(preview: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in preview]


def test_it_filters_rows_with_an_expression(run: RunFlow) -> None:
    result, _ = run([{"kind": "filter", "expression": "amount > 10 AND category <> 'games'"}])
    assert result.row_count == 2
    assert ids(result.preview) == [1, 6]


def test_it_selects_and_drops_columns(run: RunFlow) -> None:
    selected, _ = run([{"kind": "select", "columns": ["customer", "id"]}])
    assert [name for name, _ in selected.columns] == ["customer", "id"]
    dropped, _ = run([{"kind": "drop", "columns": ["day", "customer"]}])
    assert [name for name, _ in dropped.columns] == ["id", "category", "region", "amount"]


def test_it_renames_columns_keeping_their_place(run: RunFlow) -> None:
    result, _ = run([{"kind": "rename", "columns": {"amount": "Amount (EUR)", "id": "sale id"}}])
    assert [name for name, _ in result.columns][:5] == [
        "sale id",
        "day",
        "category",
        "region",
        "Amount (EUR)",
    ]
    assert result.preview[0]["Amount (EUR)"] == 10.5


def test_it_derives_a_new_column_and_can_replace_one(run: RunFlow) -> None:
    result, _ = run(
        [
            {"kind": "derive", "column": "double", "expression": "amount * 2"},
            {"kind": "derive", "column": "customer", "expression": "upper(customer)"},
        ]
    )
    assert result.preview[0]["double"] == 21.0
    assert result.preview[0]["customer"] == "ANN"
    assert [name for name, _ in result.columns].count("customer") == 1


def test_it_casts_columns(run: RunFlow) -> None:
    result, _ = run(
        [{"kind": "cast", "columns": {"amount": "integer", "id": "string", "day": "date"}}]
    )
    types = dict(result.columns)
    assert (types["amount"], types["id"], types["day"]) == ("BIGINT", "VARCHAR", "DATE")


def test_it_sorts_by_several_columns_and_directions(run: RunFlow) -> None:
    result, _ = run(
        [{"kind": "sort", "columns": ["category", {"column": "amount", "direction": "desc"}]}]
    )
    assert ids(result.preview) == [1, 6, 3, 5, 2, 4]


def test_it_aggregates_with_every_function(run: RunFlow) -> None:
    measures = [
        {"name": "total", "fn": "sum", "column": "amount"},
        {"name": "mean", "fn": "avg", "column": "amount"},
        {"name": "low", "fn": "min", "column": "amount"},
        {"name": "high", "fn": "max", "column": "amount"},
        {"name": "sales", "fn": "count"},
        {"name": "buyers", "fn": "count_distinct", "column": "customer"},
    ]
    result, lines = run(
        [
            {"kind": "aggregate", "group_by": ["category"], "measures": measures},
            {"kind": "sort", "columns": ["category"]},
        ]
    )
    books = result.preview[0]
    assert books == {
        "category": "books",
        "total": 28.25,
        "mean": pytest.approx(28.25 / 3),
        "low": 7.25,
        "high": 10.5,
        "sales": 3,
        "buyers": 1,
    }
    assert result.row_count == 3
    assert lines[1].startswith("Recipe main, step 1/2 aggregate: 3 rows in ")


def test_it_deduplicates_whole_rows_or_by_columns(run: RunFlow) -> None:
    whole, _ = run([{"kind": "drop", "columns": ["id", "day"]}, {"kind": "deduplicate"}])
    assert whole.row_count == 5
    by_customer, _ = run([{"kind": "deduplicate", "columns": ["customer"]}])
    assert by_customer.row_count == 3


def test_it_joins_a_dataset_in_every_direction(run: RunFlow) -> None:
    counts = {}
    for how in ("inner", "left", "right", "full"):
        result, _ = run(
            [{"kind": "join", "with": {"dataset": "regions"}, "how": how, "on": ["region"]}]
        )
        counts[how] = result.row_count
        assert "region_name" in dict(result.columns)
    assert counts == {"inner": 6, "left": 6, "right": 7, "full": 7}


def test_it_joins_on_differently_named_keys(run: RunFlow) -> None:
    result, _ = run(
        [
            {"kind": "rename", "columns": {"region": "area"}},
            {
                "kind": "join",
                "with": {"dataset": "regions"},
                "on": [{"left": "area", "right": "region"}],
            },
            {"kind": "sort", "columns": ["id"]},
        ]
    )
    assert result.preview[1]["region_name"] == "United States"


def test_it_joins_and_unions_other_recipes(run: RunFlow) -> None:
    big = {
        "name": "big",
        "source": {"dataset": "sales"},
        "steps": [{"kind": "filter", "expression": "amount >= 20"}],
    }
    result, lines = run(
        [{"kind": "union", "with": {"recipe": "big"}}, {"kind": "sort", "columns": ["id"]}],
        extra_recipes=[big],
    )
    assert result.row_count == 8
    assert ids(result.preview) == [1, 2, 2, 3, 4, 5, 5, 6]
    assert any("Recipe big, step 1/1 filter: 2 rows" in line for line in lines)


def test_it_unions_by_column_name_filling_missing_columns(run: RunFlow) -> None:
    result, _ = run(
        [
            {"kind": "union", "with": {"dataset": "regions"}},
            {"kind": "filter", "expression": "id IS NULL"},
        ]
    )
    assert result.row_count == 3
    assert result.preview[0]["amount"] is None
    assert result.preview[0]["region_name"] == "Europe"


def test_it_limits_rows(run: RunFlow) -> None:
    result, _ = run(
        [
            {"kind": "sort", "columns": ["amount"], "direction": "desc"},
            {"kind": "limit", "count": 2},
        ]
    )
    assert ids(result.preview) == [5, 2]


def test_it_runs_a_sql_step_over_the_input_relation(run: RunFlow) -> None:
    query = """
        WITH per_customer AS (SELECT customer, sum(amount) AS spent FROM input GROUP BY customer)
        SELECT customer, spent FROM per_customer WHERE customer <> 'no $min here'
        ORDER BY spent DESC
    """
    result, _ = run([{"kind": "sql", "query": query}])
    assert result.preview == [
        {"customer": "bob", "spent": 62.0},
        {"customer": "ann", "spent": 28.25},
        {"customer": "cid", "spent": 3.0},
    ]


def test_it_logs_one_line_per_step_with_rows_and_time(run: RunFlow) -> None:
    _, lines = run(
        [
            {"kind": "filter", "expression": "amount > 5"},
            {"kind": "select", "columns": ["id", "amount"]},
            {"kind": "filter", "expression": "amount < 40"},
            {"kind": "limit", "count": 10},
        ]
    )
    steps = [line for line in lines if line.startswith("Recipe main")]
    assert len(steps) == 4
    assert steps[0].startswith("Recipe main, step 1/4 filter: 5 rows (counted in an extra pass of ")
    assert steps[1].startswith("Recipe main, step 2/4 select: 5 rows (counted in an extra pass of ")
    assert steps[2].startswith("Recipe main, step 3/4 filter: 4 rows (counted in an extra pass of ")
    assert steps[3].startswith("Recipe main, step 4/4 limit: 4 rows in ")
    assert all(line.endswith(" ms") or line.endswith(" ms)") for line in steps)


def test_lazy_steps_take_their_count_from_the_output_write(run: RunFlow) -> None:
    _, lines = run([{"kind": "filter", "expression": "region = 'eu'"}])
    assert (
        "Recipe main, step 1/1 filter: 4 rows (streamed; its time is part of output out)" in lines
    )


def test_an_unknown_column_is_named_in_the_error(run: RunFlow) -> None:
    with pytest.raises(FlowError) as caught:
        run([{"kind": "select", "columns": ["id", "colour"]}])
    assert "Recipe main, step 1 (select)" in caught.value.message
    assert '"colour"' in caught.value.message


def test_a_bad_expression_shows_duckdbs_message(run: RunFlow) -> None:
    with pytest.raises(FlowError) as caught:
        run([{"kind": "filter", "expression": "amount >"}])
    assert "syntax error" in caught.value.message
    with pytest.raises(FlowError) as caught:
        run([{"kind": "derive", "column": "x", "expression": "amount + 'abc'"}])
    # Lazy steps run inside the write: the error names them and keeps DuckDB's own words.
    assert "while running main step 1 derive" in caught.value.message
    assert "Could not convert string 'abc' to DOUBLE" in caught.value.message
