"""Building recipes inside a run's locked DuckDB connection, with one log line per step.

Row-by-row steps (filter, select, drop, rename, derive, cast) stay lazy subqueries so that DuckDB
fuses them with what follows (filters and projections reach the file scan, nothing is copied).
Every other step is materialised as a temp table. A lazy step's row count comes for free from
what consumes it in the same pass: an aggregate (through a hidden count(*) measure), a sort, or
the output's COPY (which returns the rows written). When nothing downstream can tell (a filter
after a filter, a join/union/limit/sql/deduplicate over lazy steps, a join partner), the count is
taken with an extra count(*) pass and its log line says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from flows.engine.errors import FlowError
from flows.engine.limits import Stopper
from flows.engine.spec import DatasetSpec, FlowSpec, SourceRef
from flows.engine.sqlcheck import quote_identifier, quote_literal
from flows.engine.steps import COUNT_PRESERVING_KINDS, STREAMING_KINDS, aggregate_sql, compile_step

_INPUT_ROWS = "__flow_input_rows"
_NONE: frozenset[str] = frozenset()


def elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def error_message(error: duckdb.Error) -> str:
    """DuckDB's message without the "LINE 1: ..." echo of engine SQL (it holds work paths)."""
    return str(error).split("\nLINE ")[0].strip()


# DuckDB's CSV reader reads in 32 MiB buffers by default (16 x max_line_size), several in flight, and
# a large scan's peak is mostly those buffers. 2 MiB (= the default max_line_size, the smallest
# buffer that still reads every line the default reads) measured the same time within noise on
# 5 M rows (shared machine) and cut the peak RSS by ~55-65 MiB; see README "Memory".
CSV_BUFFER_BYTES = 2 * 1024 * 1024


def csv_options(options: Mapping[str, Any]) -> str:
    header = "true" if options.get("header", True) else "false"
    delim = quote_literal(options.get("delimiter", ","))
    return f"header = {header}, delim = {delim}, buffer_size = {CSV_BUFFER_BYTES}"


def read_sql(dataset: DatasetSpec, files: list[Path]) -> str:
    """A subquery reading the dataset's (already local) files; several files unite by name."""
    paths = "[" + ", ".join(quote_literal(str(path)) for path in files) + "]"
    by_name = ", union_by_name = true" if len(files) > 1 else ""
    if dataset.format == "csv":
        return f"(SELECT * FROM read_csv({paths}, {csv_options(dataset.options)}{by_name}))"
    if dataset.format == "json":
        return f"(SELECT * FROM read_json({paths}{by_name}))"
    return f"(SELECT * FROM read_parquet({paths}{by_name}))"


@dataclass(frozen=True)
class Pending:
    """A lazy step whose row count equals its relation's and is not known yet."""

    recipe: str
    index: int
    total: int
    kind: str

    def line(self, rows: int, note: str) -> str:
        step = f"step {self.index}/{self.total} {self.kind}"
        return f"Recipe {self.recipe}, {step}: {rows:,} rows {note}"


@dataclass
class Relation:
    """SQL naming rows (a temp table or a parenthesised subquery) and what it needs to run."""

    sql: str
    parameters: frozenset[str] = _NONE
    pending: list[Pending] = field(default_factory=list)


class Builder:
    """Builds each needed recipe once, in a connection that is already locked down."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        flow: FlowSpec,
        values: dict[str, Any],
        inputs: dict[str, list[Path]],
        consumers: dict[str, int],
        log: Callable[[str], None],
        stopper: Stopper | None = None,
    ) -> None:
        self.con, self.flow, self.values, self.inputs = con, flow, values, inputs
        self.consumers, self.log = consumers, log
        self.stopper = stopper or Stopper(None, None)
        self.recipes: dict[str, Relation] = {}
        self.tables = 0

    def run(self, sql: str, parameters: frozenset[str], what: str) -> duckdb.DuckDBPyConnection:
        """Execute engine SQL with the named parameters bound as values; errors become FlowError,
        and a query interrupted because the run must stop becomes FlowCanceled/FlowTimedOut."""
        unknown = sorted(parameters - set(self.values))
        if unknown:
            raise FlowError(f"{what}: unknown parameter {', '.join('$' + n for n in unknown)}.")
        self.stopper.check()
        try:
            return self.con.execute(sql, {name: self.values[name] for name in parameters})
        except duckdb.Error as error:
            self.stopper.check()
            raise FlowError(f"{what}: {error_message(error)}") from None

    def scalar(self, sql: str, parameters: frozenset[str], what: str) -> int:
        row = self.run(sql, parameters, what).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def columns(self, relation: Relation, what: str) -> list[tuple[str, str]]:
        rows = self.run(f"DESCRIBE SELECT * FROM {relation.sql}", relation.parameters, what)
        return [(str(row[0]), str(row[1])) for row in rows.fetchall()]

    @staticmethod
    def during(what: str, pending: list[Pending]) -> str:
        """`what`, naming the lazy steps that run with it (a runtime error may come from them)."""
        if not pending:
            return what
        steps = ", ".join(f"{p.recipe} step {p.index} {p.kind}" for p in pending)
        return f"{what}, while running {steps}"

    def resolve(self, pending: list[Pending], rows: int, note: str) -> None:
        for step in pending:
            self.log(step.line(rows, note))
        pending.clear()

    def count(self, relation: Relation, what: str) -> None:
        """Count a relation in a pass of its own, for lazy steps that nothing else will count."""
        if relation.pending:
            started = time.perf_counter()
            counting = self.during(what, relation.pending)
            rows = self.scalar(
                f"SELECT count(*) FROM {relation.sql}", relation.parameters, counting
            )
            note = f"(counted in an extra pass of {elapsed_ms(started)} ms)"
            self.resolve(relation.pending, rows, note)

    def source(self, ref: SourceRef) -> Relation:
        if ref.kind == "dataset":
            return Relation(read_sql(self.flow.dataset(ref.name), self.inputs[ref.name]))
        return self.recipe(ref.name)

    def recipe(self, name: str) -> Relation:
        """The relation holding a recipe's rows; lazy steps still pending travel with it."""
        if name not in self.recipes:
            relation = self._build(name)
            if self.consumers.get(name, 0) > 1 and relation.pending:
                # Read by several consumers: materialise once rather than recompute for each.
                relation = self._materialise(
                    relation, relation.sql, relation.parameters, name, None
                )
            self.recipes[name] = relation
        return self.recipes[name]

    def _build(self, name: str) -> Relation:
        recipe = self.flow.recipe(name)
        relation = self.source(recipe.source)
        for index, step in enumerate(recipe.steps, start=1):
            what = f"Recipe {name}, step {index} ({step.kind})"
            line = Pending(name, index, len(recipe.steps), step.kind)
            partner = self.source(step.references()[0]) if step.references() else None
            if partner is not None:
                self.count(partner, what)
            if step.kind == "filter" or step.kind not in STREAMING_KINDS | {"aggregate", "sort"}:
                self.count(relation, what)
            current = relation
            compiled = compile_step(
                self.con,
                step.kind,
                step.config,
                current.sql,
                columns=lambda current=current, what=what: [
                    n for n, _ in self.columns(current, what)
                ],
                other=lambda partner=partner: partner.sql if partner else "",
                what=what,
            )
            parameters = current.parameters | compiled.parameters
            if partner is not None:
                parameters |= partner.parameters
            if step.kind in STREAMING_KINDS:
                keep = current.pending if step.kind in COUNT_PRESERVING_KINDS else []
                relation = Relation(f"({compiled.sql})", parameters, [*keep, line])
                # Bind now, so that an unknown column or a type error is blamed on this step.
                self.columns(relation, what)
            else:
                sql = compiled.sql
                if step.kind == "aggregate":
                    sql = aggregate_sql(step.config, current.sql, input_rows=_INPUT_ROWS)
                relation = self._materialise(current, sql, parameters, what, line)
        return relation

    def _materialise(
        self,
        source: Relation,
        sql: str,
        parameters: frozenset[str],
        what: str,
        line: Pending | None,
    ) -> Relation:
        self.tables += 1
        table = quote_identifier(f"__flow_t{self.tables}")
        started = time.perf_counter()
        running = self.during(what, source.pending)
        rows = self.scalar(f"CREATE TEMP TABLE {table} AS {sql}", parameters, running)
        where = f"step {line.index} {line.kind}" if line else f"materialising recipe {what}"
        note = f"(streamed; its time is part of {where})"
        if line is not None and line.kind == "aggregate":
            inputs = self.scalar(f"SELECT sum({_INPUT_ROWS}) FROM {table}", _NONE, what)
            self.run(f"ALTER TABLE {table} DROP COLUMN {_INPUT_ROWS}", _NONE, what)
            self.resolve(source.pending, inputs, note)
        else:
            self.resolve(source.pending, rows, note)
        if line is not None:
            self.log(line.line(rows, f"in {elapsed_ms(started)} ms"))
        return Relation(table)
