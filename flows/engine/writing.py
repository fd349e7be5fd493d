"""Writing one output: COPY to a staged file, merge for append, publish, preview."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

from flows.engine import storage
from flows.engine.build import Builder, csv_options, elapsed_ms
from flows.engine.results import OutputResult, json_safe
from flows.engine.spec import OutputSpec
from flows.engine.sqlcheck import quote_literal

PREVIEW_ROWS = 20
_NONE: frozenset[str] = frozenset()


def write_options(output: OutputSpec) -> str:
    if output.format == "csv":
        header = "true" if output.options.get("header", True) else "false"
        delimiter = quote_literal(output.options.get("delimiter", ","))
        return f"FORMAT csv, HEADER {header}, DELIMITER {delimiter}"
    # JSON is written one object per line (newline-delimited), which is also what append extends.
    return "FORMAT json" if output.format == "json" else "FORMAT parquet"


def write_output(
    builder: Builder, output: OutputSpec, target: storage.OutputTarget, work: Path
) -> OutputResult:
    """Write the output's recipe to its target according to its mode; return what was written.

    Append: csv/json get this run's rows added after the file's (csv refuses a different
    header); parquet is rewritten as the old rows followed by the new ones (UNION ALL BY NAME)
    so the path keeps naming one file. "new file" was resolved to a fresh name by plan_output.
    """
    what = f"Output {output.name}"
    relation = builder.recipe(output.recipe)
    columns = builder.columns(relation, what)
    started = time.perf_counter()
    staged = quote_literal(str(target.staging))
    copy = f"COPY (SELECT * FROM {relation.sql}) TO {staged} ({write_options(output)})"
    rows = builder.scalar(copy, relation.parameters, builder.during(what, relation.pending))
    builder.resolve(relation.pending, rows, f"(streamed; its time is part of output {output.name})")
    final = target.staging
    if output.mode == "append" and target.existing is not None:
        final = work / f"merged-{uuid.uuid4().hex}{target.staging.suffix}"
        if output.format == "parquet":
            old, merged = quote_literal(str(target.existing)), quote_literal(str(final))
            merge = (
                f"COPY (SELECT * FROM read_parquet({old}) UNION ALL BY NAME "
                f"SELECT * FROM read_parquet({staged})) TO {merged} (FORMAT parquet)"
            )
            builder.run(merge, _NONE, what)
        else:
            header = output.format == "csv" and bool(output.options.get("header", True))
            storage.append_text_rows(
                target.existing, target.staging, final, header=header, what=what
            )
    size = storage.publish(target, final, what)
    builder.log(
        f"Output {output.name}: {rows:,} rows written to {target.display} "
        f"({size:,} bytes) in {elapsed_ms(started)} ms"
    )
    preview = _preview(builder.con, output, target.staging, columns)
    return OutputResult(output.name, target.display, output.format, rows, columns, size, preview)


def _preview(
    con: duckdb.DuckDBPyConnection, output: OutputSpec, staged: Path, columns: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The first rows this run wrote, read back from the staged file with the recipe's types
    (falling back to DuckDB's own detection when a type cannot be read back from text)."""
    typed = "{" + ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in columns) + "}"
    path = quote_literal(str(staged))
    if output.format == "parquet":
        sources = [f"read_parquet({path})"]
    elif output.format == "json":
        sources = [f"read_json({path}, columns = {typed})", f"read_json({path})"]
    else:
        options = csv_options(output.options)
        sources = [
            f"read_csv({path}, {options}, columns = {typed})",
            f"read_csv({path}, {options})",
        ]
    for source in sources:
        try:
            cursor = con.execute(f"SELECT * FROM {source} LIMIT {PREVIEW_ROWS}")
            names = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error:
            continue
        return [{n: json_safe(v) for n, v in zip(names, row, strict=True)} for row in rows]
    return []
