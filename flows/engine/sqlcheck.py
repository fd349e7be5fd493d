"""Checks on user SQL, and quoting of the identifiers and literals the engine writes itself.

User text (step expressions and `sql` steps) is parsed by DuckDB itself (`json_serialize_sql`),
never by regular expressions, so that a `$name` inside a string literal is just text. The parsed
tree must be a single SELECT (the serialiser refuses anything else, including `;`-chained
statements) that reads only the relations it is given, calls no table function other than
`range`/`generate_series`/`unnest`, and names parameters only as `$name`. This is the friendly
first layer; the hard one is the run's connection, which has external access switched off and
its configuration locked before any user SQL runs (see `flows.engine.runner`).

The checks run when a flow is saved or imported (`check_step_sql` from the step shape checks,
`recipe_sql_errors` for errors keyed by field) and again when a run compiles each step.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from flows.engine.errors import FlowError

ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Scalar functions that reveal or change the engine's state rather than compute on rows.
FORBIDDEN_FUNCTIONS = frozenset(
    {"getenv", "getvariable", "current_setting", "set_variable", "query", "query_table"}
)
INPUT_RELATION = "input"
# The config field holding user SQL, per step kind.
USER_SQL_FIELDS = {"filter": "expression", "derive": "expression", "sql": "query"}

_parsers = threading.local()


def quote_identifier(name: str) -> str:
    """A column or relation name as a DuckDB identifier, whatever characters it holds."""
    if "\x00" in name:
        raise FlowError(f"The name {name!r} contains a NUL byte.")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Engine-made text (file paths) as a SQL string literal; never used for user values."""
    if "\x00" in text:
        raise FlowError("A value contains a NUL byte.")
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CheckedSql:
    """User SQL that passed the checks, and the parameter names it references."""

    text: str
    parameters: frozenset[str]


def _serialize(con: duckdb.DuckDBPyConnection, sql: str, what: str) -> dict[str, Any]:
    row = con.execute("SELECT json_serialize_sql($sql)", {"sql": sql}).fetchone()
    tree = json.loads(row[0]) if row else {"error": True, "error_message": "nothing parsed"}
    if tree.get("error"):
        message = tree.get("error_message", "cannot be parsed")
        if "Only SELECT statements" in message:
            message = "only a single SELECT is allowed (no other statement, no ';')"
        raise FlowError(f"{what}: {message}")
    if len(tree.get("statements", [])) != 1:
        raise FlowError(f"{what}: only a single SELECT is allowed (no ';' between statements).")
    return tree["statements"][0]["node"]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _check_tree(
    tree: dict[str, Any], relations: frozenset[str], what: str, *, allow_subqueries: bool
) -> frozenset[str]:
    cte_names = {
        entry["key"]
        for node in _walk(tree)
        for entry in (node.get("cte_map") or {}).get("map", [])
        if isinstance(node.get("cte_map"), dict)
    }
    parameters: set[str] = set()
    for node in _walk(tree):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            name = node.get("table_name", "")
            if (
                node.get("schema_name")
                or node.get("catalog_name")
                or (name not in relations and name not in cte_names)
            ):
                allowed = ", ".join(sorted(relations))
                raise FlowError(f"{what}: it may only read {allowed}, not {name!r}.")
        elif kind == "TABLE_FUNCTION":
            name = node.get("function", {}).get("function_name", "")
            if name.lower() not in ALLOWED_TABLE_FUNCTIONS:
                raise FlowError(f"{what}: the table function {name}() is not allowed.")
        elif node.get("class") == "FUNCTION":
            name = node.get("function_name", "")
            if name.lower() in FORBIDDEN_FUNCTIONS:
                raise FlowError(f"{what}: the function {name}() is not allowed.")
        elif node.get("class") == "SUBQUERY" and not allow_subqueries:
            raise FlowError(f"{what}: subqueries are not allowed here; use a sql step.")
        elif node.get("class") == "PARAMETER":
            identifier = str(node.get("identifier", ""))
            if not identifier or identifier[0].isdigit():
                raise FlowError(f"{what}: refer to parameters by name, as $name.")
            parameters.add(identifier)
    return frozenset(parameters)


def check_query(con: duckdb.DuckDBPyConnection, sql: str, *, what: str) -> CheckedSql:
    """Check a `sql` step: one SELECT reading only the relation `input` (and its own CTEs)."""
    if not isinstance(sql, str) or not sql.strip():
        raise FlowError(f"{what}: the query is empty.")
    tree = _serialize(con, sql, what)
    parameters = _check_tree(tree, frozenset({INPUT_RELATION}), what, allow_subqueries=True)
    return CheckedSql(text=sql, parameters=parameters)


def check_expression(con: duckdb.DuckDBPyConnection, expression: str, *, what: str) -> CheckedSql:
    """Check a step expression: exactly one scalar SQL expression over the step's columns.

    The expression is parsed inside the same parentheses and line breaks the engine later puts
    around it (`wrap_expression`), so a trailing `--` comment or an unbalanced `)` cannot reach
    the surrounding query.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise FlowError(f"{what}: the expression is empty.")
    tree = _serialize(con, f"SELECT {wrap_expression(expression)} FROM {INPUT_RELATION}", what)
    source = tree.get("from_table") or {}
    plain = (
        tree.get("type") == "SELECT_NODE"
        and len(tree.get("select_list", [])) == 1
        and source.get("type") == "BASE_TABLE"
        and source.get("table_name") == INPUT_RELATION
        and not tree.get("where_clause")
        and not tree.get("group_expressions")
        and not tree.get("having")
        and not tree.get("qualify")
        and not tree.get("modifiers")
        and not (tree.get("cte_map") or {}).get("map")
    )
    if not plain:
        raise FlowError(f"{what}: write one expression, not a query or a list of expressions.")
    parameters = _check_tree(tree, frozenset({INPUT_RELATION}), what, allow_subqueries=False)
    return CheckedSql(text=expression, parameters=parameters)


def wrap_expression(expression: str) -> str:
    """The parenthesised form in which a checked expression is placed into engine SQL."""
    return f"(\n{expression}\n)"


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's connection for parsing user SQL outside a run (opening one costs ~10 ms).

    Only `json_serialize_sql` runs on it, which parses and executes nothing; it is locked down
    anyway. A forked worker process opens its own rather than share its parent's.
    """
    con = getattr(_parsers, "con", None)
    if con is None or getattr(_parsers, "pid", None) != os.getpid():
        con = duckdb.connect(":memory:")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _parsers.con, _parsers.pid = con, os.getpid()
    return con


def check_step_sql(kind: str, config: Mapping[str, Any], what: str) -> None:
    """Check the user SQL of a step (`USER_SQL_FIELDS`), if it has any; raises FlowError."""
    text = config.get(USER_SQL_FIELDS.get(kind, ""))
    if not isinstance(text, str):
        return  # no SQL, or a shape error that the step's shape check reports
    if kind == "sql":
        check_query(_parser(), text, what=what)
    else:
        check_expression(_parser(), text, what=what)


def recipe_sql_errors(recipes: Any) -> dict[str, list[str]]:
    """The user SQL of every step of `recipes` (a flow definition's list of recipe dicts),
    checked: errors keyed by field path (`recipes[0].steps[2].query`), each message naming the
    recipe and the step. Parts of the wrong shape are skipped (the spec's checks report them).
    """
    errors: dict[str, list[str]] = {}
    for r_index, recipe in enumerate(recipes if isinstance(recipes, list) else []):
        steps = recipe.get("steps") if isinstance(recipe, Mapping) else None
        for s_index, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, Mapping) or step.get("kind") not in USER_SQL_FIELDS:
                continue
            kind = str(step["kind"])
            what = f"Recipe {recipe.get('name')}, step {s_index + 1} ({kind})"
            try:
                check_step_sql(kind, step, what)
            except FlowError as error:
                path = f"recipes[{r_index}].steps[{s_index}].{USER_SQL_FIELDS[kind]}"
                errors[path] = [error.message]
    return errors
