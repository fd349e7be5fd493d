"""Formats, wildcards, output modes and input errors, on real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from flows.engine import FlowError, FlowSpec, run_flow
from tests.flows.conftest import RunFlow, flow_dict


def run_spec(spec: dict, run_id: int = 1) -> tuple:
    lines: list[str] = []
    results = run_flow(
        FlowSpec.from_dict(spec), outputs=None, parameters={}, run_id=run_id, log=lines.append
    )
    return results, lines


def test_it_reads_json_and_parquet_and_writes_them(root: Path) -> None:
    rows = [{"id": 1, "tags": ["a"], "amount": 1.5}, {"id": 2, "tags": [], "amount": 2.5}]
    (root / "data" / "items.json").write_text("\n".join(json.dumps(row) for row in rows))
    spec = flow_dict(root, [{"kind": "filter", "expression": "amount > 2"}])
    spec["datasets"][0].update(path="data/items.json", format="json")
    spec["outputs"][0].update(path="out/items.parquet", format="parquet")
    (parquet,), _ = run_spec(spec)
    assert parquet.preview == [{"id": 2, "tags": [], "amount": 2.5}]
    assert duckdb.sql(f"SELECT count(*) FROM '{root / 'out/items.parquet'}'").fetchall() == [(1,)]

    spec["datasets"][0].update(path="out/items.parquet", format="parquet")
    spec["outputs"][0].update(path="out/items.json", format="json")
    (back,), _ = run_spec(spec)
    assert back.format == "json"
    assert json.loads((root / "out/items.json").read_text().splitlines()[0]) == rows[1]
    assert back.size_bytes == (root / "out/items.json").stat().st_size


def test_it_reads_csv_with_a_delimiter_and_no_header(root: Path) -> None:
    (root / "data" / "plain.txt").write_text("1;x\n2;y\n")
    spec = flow_dict(root, [{"kind": "rename", "columns": {"column0": "n", "column1": "s"}}])
    spec["datasets"][0].update(path="data/plain.txt", options={"delimiter": ";", "header": False})
    spec["outputs"][0].update(options={"delimiter": "|"})
    (result,), _ = run_spec(spec)
    assert result.preview == [{"n": 1, "s": "x"}, {"n": 2, "s": "y"}]
    assert (root / "out/result.csv").read_text().splitlines() == ["n|s", "1|x", "2|y"]


def test_it_reads_a_csv_larger_than_its_read_buffer_with_a_long_line(root: Path) -> None:
    # The engine reads CSV with small buffers (build.CSV_BUFFER_BYTES) to bound memory: rows
    # across buffer boundaries and a line of 1.5 MB (DuckDB's default limit is 2 MiB) still read.
    rows = [f"{i},{'x' * 1_500_000 if i == 70_000 else 'ab'}" for i in range(150_000)]
    (root / "data" / "wide.csv").write_text("id,text\n" + "\n".join(rows) + "\n")
    spec = flow_dict(
        root,
        [
            {"kind": "derive", "column": "length", "expression": "length(text)"},
            {"kind": "drop", "columns": ["text"]},
        ],
    )
    spec["datasets"][0]["path"] = "data/wide.csv"
    (result,), _ = run_spec(spec)
    assert result.row_count == 150_000
    written = duckdb.sql(
        f"SELECT count(*), max(length), sum(id) FROM '{root / 'out/result.csv'}'"
    ).fetchall()
    assert written == [(150_000, 1_500_000, sum(range(150_000)))]


def test_wildcards_read_every_matching_file_by_column_name(root: Path) -> None:
    for month, extra in (("2024/01", ""), ("2024/02", ",note")):
        folder = root / "parts" / month
        folder.mkdir(parents=True)
        (folder / "a.csv").write_text(f"id,amount{extra}\n1,2{',x' if extra else ''}\n")
    spec = flow_dict(root, [])
    spec["datasets"][0]["path"] = "parts/**/*.csv"
    (result,), lines = run_spec(spec)
    assert result.row_count == 2
    assert dict(result.columns).keys() == {"id", "amount", "note"}
    assert lines[0].startswith("Dataset sales: 2 file(s)")


def test_a_missing_input_file_names_its_path(root: Path) -> None:
    spec = flow_dict(root, [])
    spec["datasets"][0]["path"] = "data/nowhere/sales.csv"
    with pytest.raises(
        FlowError, match=re.escape("Dataset sales: the input file 'data/nowhere/sales.csv' does")
    ):
        run_spec(spec)
    spec["datasets"][0]["path"] = "data/*.parquet"
    with pytest.raises(FlowError, match=r"no file matches 'data/\*.parquet'"):
        run_spec(spec)


def test_a_dataset_path_cannot_leave_its_root(root: Path) -> None:
    spec = flow_dict(root, [])
    spec["datasets"][0]["path"] = "../outside.csv"
    with pytest.raises(FlowError, match="escapes"):
        run_spec(spec)
    (root / "data" / "link.csv").symlink_to("/etc/passwd")
    spec["datasets"][0]["path"] = "data/link.csv"
    with pytest.raises(FlowError, match="outside"):
        run_spec(spec)


def test_replace_mode_overwrites_the_file(run: RunFlow, root: Path) -> None:
    run([{"kind": "limit", "count": 4}])
    result, _ = run([{"kind": "limit", "count": 2}])
    assert len((root / "out/result.csv").read_text().splitlines()) == 3
    assert result.size_bytes == (root / "out/result.csv").stat().st_size


def test_new_file_mode_never_overwrites(run: RunFlow, root: Path) -> None:
    first, _ = run([], output={"mode": "new file"})
    second, _ = run([], output={"mode": "new file"})
    assert first.path != second.path
    assert first.path.startswith("out/result-7-") and first.path.endswith(".csv")
    assert len(list((root / "out").glob("result-7-*.csv"))) == 2


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_append_mode_adds_rows_after_the_existing_ones(run: RunFlow, root: Path, fmt: str) -> None:
    output = {"mode": "append", "format": fmt, "path": f"out/all.{fmt}"}
    run([{"kind": "filter", "expression": "id <= 2"}], output=output)
    result, _ = run([{"kind": "filter", "expression": "id > 4"}], output=output)
    assert result.row_count == 2
    assert [row["id"] for row in result.preview] == [5, 6]
    stored = duckdb.sql(f"SELECT id FROM '{root / f'out/all.{fmt}'}'").fetchall()
    assert [row[0] for row in stored] == [1, 2, 5, 6]


def test_append_to_a_csv_with_other_columns_is_refused(run: RunFlow, root: Path) -> None:
    output = {"mode": "append"}
    run([{"kind": "select", "columns": ["id"]}], output=output)
    with pytest.raises(FlowError, match="cannot append"):
        run([{"kind": "select", "columns": ["id", "amount"]}], output=output)
    assert (root / "out/result.csv").read_text().splitlines()[0] == "id"


def test_only_the_recipes_of_selected_outputs_are_built(root: Path) -> None:
    spec = flow_dict(root, [])
    spec["recipes"].append(
        {
            "name": "broken",
            "source": {"dataset": "regions"},
            "steps": [{"kind": "select", "columns": ["nope"]}],
        }
    )
    spec["outputs"].append(
        {**spec["outputs"][0], "name": "bad", "recipe": "broken", "path": "out/bad.csv"}
    )
    flow = FlowSpec.from_dict(spec)
    (result,) = run_flow(flow, outputs=["out"], parameters={}, run_id=1, log=print)
    assert result.output == "out"
    with pytest.raises(FlowError, match=r'Recipe broken, step 1 \(select\).*"nope"'):
        run_flow(flow, outputs=None, parameters={}, run_id=1, log=print)
    with pytest.raises(FlowError, match="no output named ghost"):
        run_flow(flow, outputs=["ghost"], parameters={}, run_id=1, log=print)


def test_a_recipe_read_by_two_consumers_is_built_once(root: Path) -> None:
    spec = flow_dict(root, [{"kind": "filter", "expression": "amount > 5"}])
    spec["outputs"].append({**spec["outputs"][0], "name": "copy", "path": "out/copy.csv"})
    results, lines = run_spec(spec)
    assert [r.row_count for r in results] == [5, 5]
    assert sum("step 1/1 filter" in line for line in lines) == 1
