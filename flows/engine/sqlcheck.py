"""Checks on user SQL, and quoting of the identifiers and literals the engine writes itself.

User text (step expressions and `sql` steps) is parsed by DuckDB itself (`json_serialize_sql`),
never by regular expressions, so that a `$name` inside a string literal is just text. The parsed
tree must be a single SELECT (the serialiser refuses anything else, including `;`-chained
statements) that reads only the relations it is given, calls no table function other than
`range`/`generate_series`/`unnest`, and names parameters only as `$name`. This is the friendly
first layer; the hard one is the run's connection, which has external access switched off and
its configuration locked before any user SQL runs (see `flows.engine.runner`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
