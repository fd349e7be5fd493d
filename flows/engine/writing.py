"""Writing outputs: COPY to a staged file, merge for append, preview; then publish them all."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from flows.engine import storage
from flows.engine.build import Builder, csv_options, elapsed_ms
from flows.engine.limits import Stopper
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


@dataclass
class StagedOutput:
    """One output written completely inside the run's work folder, not yet published."""

    output: OutputSpec
    target: storage.OutputTarget
    final: Path
    rows: int
    columns: list[tuple[str, str]]
    preview: list[dict[str, Any]]
    took_ms: int


def stage_output(
    builder: Builder, output: OutputSpec, target: storage.OutputTarget, work: Path
) -> StagedOutput:
    """Write the output's recipe to a file in the work folder according to its mode.

    Append: csv/json get this run's rows added after the file's (csv refuses a different
    header); parquet is rewritten as the old rows followed by the new ones (UNION ALL BY NAME)
    so the path keeps naming one file. "new file" was resolved to a fresh name by plan_output.
    Nothing leaves the work folder here: `publish_outputs` does that once every output is ready.
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
    preview = _preview(builder.con, output, target.staging, columns)
    took = elapsed_ms(started)
    return StagedOutput(output, target, final, rows, columns, preview, took)


def publish_outputs(
    staged: list[StagedOutput], stopper: Stopper, log: Callable[[str], None]
) -> list[OutputResult]:
    """Publish every staged output (see `storage.publish_all`) unless the run must stop first."""
    sizes = storage.publish_all(
        [(item.target, item.final, f"Output {item.output.name}") for item in staged], stopper
    )
    results = []
    for item, size in zip(staged, sizes, strict=True):
        name = item.output.name
        log(
            f"Output {name}: {item.rows:,} rows written to {item.target.display} "
            f"({size:,} bytes); built in {item.took_ms} ms"
        )
        results.append(
            OutputResult(
                name, item.target.display, item.output.format, item.rows, item.columns, size,
                item.preview,
            )
        )  # fmt: skip
    return results


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
