"""Recipe steps: the shape of each step's config, and the SQL each step becomes.

Every step is one SELECT over the relation before it (`source`, a table name or a parenthesised
subquery). Identifiers are always quoted with `quote_identifier`; user expressions are checked by
`flows.engine.sqlcheck` and placed inside `wrap_expression`; parameter values never enter the
text: expressions keep `$name` and the runner binds the values.

Config shapes (besides "kind"):
  filter      {"expression": "amount > $min"}
  select      {"columns": ["a", "b"]}                drop {"columns": ["c"]}
  rename      {"columns": {"old": "new"}}
  derive      {"column": "net", "expression": "amount * 0.8"}   (replaces a column of that name)
  cast        {"columns": {"amount": "number"}}      types: see CAST_TYPES or a DuckDB type name
  sort        {"columns": ["a", {"column": "b", "direction": "desc"}], "direction": "asc"}
  aggregate   {"group_by": ["a"], "measures": [{"name": "total", "fn": "sum", "column": "x"}]}
  deduplicate {"columns": ["a"]} (optional: whole rows when absent; which row of a group is kept
              is not defined)
  join        {"with": {"dataset"|"recipe": name}, "how": "inner|left|right|full",
               "on": ["key", {"left": "a", "right": "b"}]}
  union       {"with": {"dataset"|"recipe": name}}   (UNION ALL BY NAME: missing columns are NULL)
  limit       {"count": 100}
  sql         {"query": "SELECT ... FROM input"}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from flows.engine.errors import FlowError
from flows.engine.sqlcheck import (
    INPUT_RELATION,
    check_expression,
    check_query,
    check_step_sql,
    quote_identifier,
    wrap_expression,
)

# Steps that transform rows one by one: they stay lazy and DuckDB fuses them with what follows.
STREAMING_KINDS = frozenset({"filter", "select", "drop", "rename", "derive", "cast"})
# Steps whose output has exactly as many rows as their input.
COUNT_PRESERVING_KINDS = frozenset({"select", "drop", "rename", "derive", "cast", "sort"})
AGGREGATE_FUNCTIONS = {
    "sum": "sum",
    "avg": "avg",
    "min": "min",
    "max": "max",
    "count": "count",
    "count_distinct": "count",
}
CAST_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_DUCKDB_TYPE = re.compile(
    r"^(VARCHAR|TEXT|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|DOUBLE|FLOAT|REAL"
    r"|BOOLEAN|DATE|TIME|TIMESTAMP|TIMESTAMPTZ|DECIMAL\(\d{1,2},\s*\d{1,2}\))$",
    re.IGNORECASE,
)
JOIN_KINDS = {"inner": "INNER", "left": "LEFT", "right": "RIGHT", "full": "FULL"}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FlowError(message)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "\x00" not in value


def _names(value: Any, what: str, *, allow_empty: bool = False) -> list[str]:
    _require(isinstance(value, list), f"{what} must be a list of column names.")
    _require(allow_empty or bool(value), f"{what} must name at least one column.")
    _require(all(_is_name(item) for item in value), f"{what} must hold column names.")
    return list(value)


def _name_map(value: Any, what: str) -> dict[str, str]:
    _require(isinstance(value, dict) and bool(value), f"{what} must map column names.")
    _require(all(_is_name(k) and _is_name(v) for k, v in value.items()), f"{what}: empty name.")
    return dict(value)


def cast_type(name: Any, what: str) -> str:
    """The DuckDB type for a cast target: a friendly name (CAST_TYPES) or a DuckDB type."""
    _require(isinstance(name, str), f"{what}: the type must be text.")
    if name.lower() in CAST_TYPES:
        return CAST_TYPES[name.lower()]
    _require(bool(_DUCKDB_TYPE.match(name.strip())), f"{what}: {name!r} is not a known type.")
    return name.strip().upper()


def sort_keys(config: dict[str, Any], what: str) -> list[tuple[str, str]]:
    default = str(config.get("direction", "asc")).lower()
    _require(default in ("asc", "desc"), f"{what}: direction must be asc or desc.")
    columns = config.get("columns")
    _require(isinstance(columns, list) and bool(columns), f"{what}: columns must be a list.")
    keys = []
    for item in columns:
        if isinstance(item, dict):
            column, direction = item.get("column"), str(item.get("direction", default)).lower()
        else:
            column, direction = item, default
        _require(_is_name(column), f"{what}: a sort column has no name.")
        _require(direction in ("asc", "desc"), f"{what}: direction must be asc or desc.")
        keys.append((str(column), direction.upper()))
    return keys


def join_keys(config: dict[str, Any], what: str) -> list[tuple[str, str]]:
    on = config.get("on")
    _require(isinstance(on, list) and bool(on), f"{what}: on must list the join keys.")
    keys = []
    for item in on:
        left, right = (
            (item.get("left"), item.get("right")) if isinstance(item, dict) else (item, item)
        )
        _require(_is_name(left) and _is_name(right), f"{what}: a join key has no column name.")
        keys.append((str(left), str(right)))
    return keys


def check_step_config(kind: str, config: dict[str, Any], what: str) -> None:
    """Raise FlowError when `config` does not have the shape `kind` needs, or its user SQL
    does not pass `flows.engine.sqlcheck` (so a flow is refused when saved, not when run)."""
    if kind in ("filter", "derive"):
        _require(isinstance(config.get("expression"), str), f"{what}: an expression is needed.")
        if kind == "derive":
            _require(_is_name(config.get("column")), f"{what}: the new column needs a name.")
        check_step_sql(kind, config, what)
    elif kind in ("select", "drop"):
        _names(config.get("columns"), f"{what}: columns")
    elif kind == "rename":
        _name_map(config.get("columns"), f"{what}: columns")
    elif kind == "cast":
        for column, target in _name_map_any(config.get("columns"), what).items():
            cast_type(target, f"{what}, column {column}")
    elif kind == "sort":
        sort_keys(config, what)
    elif kind == "aggregate":
        _names(config.get("group_by", []), f"{what}: group_by", allow_empty=True)
        measures = config.get("measures")
        _require(isinstance(measures, list) and bool(measures), f"{what}: measures are needed.")
        for measure in measures:
            _require(isinstance(measure, dict), f"{what}: a measure must be an object.")
            _require(_is_name(measure.get("name")), f"{what}: a measure needs a name.")
            fn = measure.get("fn")
            _require(
                fn in AGGREGATE_FUNCTIONS,
                f"{what}: {fn!r} is not one of {list(AGGREGATE_FUNCTIONS)}.",
            )
            _require(
                _is_name(measure.get("column")) or (fn == "count" and not measure.get("column")),
                f"{what}: measure {measure.get('name')} needs a column.",
            )
    elif kind == "deduplicate":
        if config.get("columns"):
            _names(config["columns"], f"{what}: columns")
    elif kind in ("join", "union"):
        _require(
            isinstance(config.get("with"), dict), f"{what}: with must name a dataset or recipe."
        )
        if kind == "join":
            _require(
                config.get("how", "inner") in JOIN_KINDS,
                f"{what}: how must be one of {list(JOIN_KINDS)}.",
            )
            join_keys(config, what)
    elif kind == "limit":
        count = config.get("count")
        _require(
            isinstance(count, int) and not isinstance(count, bool) and count >= 0,
            f"{what}: count must be a whole number >= 0.",
        )
    elif kind == "sql":
        _require(isinstance(config.get("query"), str), f"{what}: a query is needed.")
        check_step_sql(kind, config, what)


def _name_map_any(value: Any, what: str) -> dict[str, Any]:
    _require(isinstance(value, dict) and bool(value), f"{what}: columns must map names to types.")
    return dict(value)


@dataclass(frozen=True)
class CompiledStep:
    """The SELECT a step becomes and the parameter names its user SQL references."""

    sql: str
    parameters: frozenset[str]


def compile_step(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    config: dict[str, Any],
    source: str,
    *,
    columns: Callable[[], list[str]],
    other: Callable[[], str],
    what: str,
) -> CompiledStep:
    """Turn one step into a SELECT over `source`.

    `columns()` returns the input's column names (only derive asks, to replace a column in place);
    `other()` returns the relation SQL of the join/union partner.
    """
    q = quote_identifier
    none: frozenset[str] = frozenset()
    if kind == "filter":
        checked = check_expression(con, config["expression"], what=what)
        return CompiledStep(
            f"SELECT * FROM {source} WHERE {wrap_expression(checked.text)}", checked.parameters
        )
    if kind == "select":
        return CompiledStep(
            f"SELECT {', '.join(q(c) for c in config['columns'])} FROM {source}", none
        )
    if kind == "drop":
        return CompiledStep(
            f"SELECT * EXCLUDE ({', '.join(q(c) for c in config['columns'])}) FROM {source}", none
        )
    if kind == "rename":
        pairs = ", ".join(f"{q(old)} AS {q(new)}" for old, new in config["columns"].items())
        return CompiledStep(f"SELECT * RENAME ({pairs}) FROM {source}", none)
    if kind == "derive":
        checked = check_expression(con, config["expression"], what=what)
        value, column = wrap_expression(checked.text), config["column"]
        if column in columns():
            return CompiledStep(
                f"SELECT * REPLACE ({value} AS {q(column)}) FROM {source}", checked.parameters
            )
        return CompiledStep(f"SELECT *, {value} AS {q(column)} FROM {source}", checked.parameters)
    if kind == "cast":
        casts = ", ".join(
            f"CAST({q(column)} AS {cast_type(target, what)}) AS {q(column)}"
            for column, target in config["columns"].items()
        )
        return CompiledStep(f"SELECT * REPLACE ({casts}) FROM {source}", none)
    if kind == "sort":
        order = ", ".join(
            f"{q(column)} {direction}" for column, direction in sort_keys(config, what)
        )
        return CompiledStep(f"SELECT * FROM {source} ORDER BY {order}", none)
    if kind == "aggregate":
        return CompiledStep(aggregate_sql(config, source), none)
    if kind == "deduplicate":
        if config.get("columns"):
            keys = ", ".join(q(c) for c in config["columns"])
            return CompiledStep(f"SELECT DISTINCT ON ({keys}) * FROM {source}", none)
        return CompiledStep(f"SELECT DISTINCT * FROM {source}", none)
    if kind == "join":
        keys, how = join_keys(config, what), JOIN_KINDS[config.get("how", "inner")]
        if all(left == right for left, right in keys):
            using = ", ".join(q(left) for left, _ in keys)
            condition = f"USING ({using})"
        else:
            condition = "ON " + " AND ".join(
                f"_l.{q(left)} = _r.{q(right)}" for left, right in keys
            )
        # Same-named non-key columns come out as name, name_1 (DuckDB's rule for duplicates).
        return CompiledStep(
            f"SELECT * FROM {source} AS _l {how} JOIN {other()} AS _r {condition}", none
        )
    if kind == "union":
        return CompiledStep(
            f"SELECT * FROM {source} UNION ALL BY NAME SELECT * FROM {other()}", none
        )
    if kind == "limit":
        return CompiledStep(f"SELECT * FROM {source} LIMIT {int(config['count'])}", none)
    if kind == "sql":
        checked = check_query(con, config["query"], what=what)
        prefix = f"WITH {q(INPUT_RELATION)} AS (SELECT * FROM {source})"
        sql = f"{prefix} SELECT * FROM (\n{checked.text}\n)"
        return CompiledStep(sql, checked.parameters)
    raise FlowError(f"{what}: unknown step kind {kind!r}.")


def aggregate_sql(config: dict[str, Any], source: str, *, input_rows: str | None = None) -> str:
    """The aggregate SELECT; with `input_rows`, also a count(*) column of that name, whose sum is
    the number of input rows (so lazy steps before the aggregate get their count for free)."""
    q = quote_identifier
    group_by = [q(column) for column in config.get("group_by", [])]
    measures = []
    for measure in config["measures"]:
        fn, column = measure["fn"], measure.get("column")
        if fn == "count_distinct":
            value = f"count(DISTINCT {q(column)})"
        elif fn == "count" and not column:
            value = "count(*)"
        else:
            value = f"{AGGREGATE_FUNCTIONS[fn]}({q(column)})"
        measures.append(f"{value} AS {q(measure['name'])}")
    if input_rows:
        measures.append(f"count(*) AS {q(input_rows)}")
    group = f" GROUP BY {', '.join(group_by)}" if group_by else ""
    return f"SELECT {', '.join([*group_by, *measures])} FROM {source}{group}"
