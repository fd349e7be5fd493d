"""User SQL is one SELECT over its input: no other statements, files, settings or extensions."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from flows.engine import FlowError
from flows.engine.runner import _locked_connection
from tests.flows.conftest import RunFlow


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("SELECT * FROM input; DROP TABLE input", "single SELECT"),
        ("SELECT 1; SELECT 2", "single SELECT"),
        ("COPY input TO '/tmp/stolen.csv'", "single SELECT"),
        ("ATTACH '/tmp/x.db'", "single SELECT"),
        ("INSTALL httpfs", "single SELECT"),
        ("LOAD httpfs", "single SELECT"),
        ("PRAGMA version", "single SELECT"),
        ("SET enable_external_access = true", "single SELECT"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
        ("SELECT * FROM read_text('/etc/passwd')", "read_text() is not allowed"),
        ("SELECT * FROM '/etc/passwd'", "not '/etc/passwd'"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings() is not allowed"),
        ("SELECT * FROM information_schema.tables", "may only read input"),
        ("SELECT * FROM __flow_t1", "may only read input"),
        ("SELECT current_setting('allowed_paths') FROM input", "current_setting() is not allowed"),
        ("SELECT * FROM input WHERE amount > $1", "by name"),
    ],
)
def test_it_refuses_anything_but_a_select_over_input(run: RunFlow, query: str, words: str) -> None:
    with pytest.raises(FlowError, match=re.escape(words)):
        run([{"kind": "sql", "query": query}])


@pytest.mark.parametrize(
    "expression",
    [
        "amount) FROM input; DROP TABLE input; SELECT (1",
        "1), (2",
        "(SELECT count(*) FROM read_csv('/etc/passwd')) > 0",
        "amount > 1 /*",
    ],
)
def test_an_expression_cannot_break_out_of_its_place(run: RunFlow, expression: str) -> None:
    with pytest.raises(FlowError):
        run([{"kind": "filter", "expression": expression}])


def test_a_comment_at_the_end_of_an_expression_is_harmless(run: RunFlow) -> None:
    result, _ = run([{"kind": "filter", "expression": "amount > 20 -- the big ones"}])
    assert result.row_count == 1


def test_the_run_connection_reads_only_its_inputs_even_without_the_checks(tmp_path: Path) -> None:
    # The second layer, exercised directly: SQL that the checks would refuse is run as is.
    work, allowed, secret = tmp_path / "work", tmp_path / "input.csv", tmp_path / "secret.csv"
    work.mkdir()
    allowed.write_text("a\n1\n")
    secret.write_text("token\nhunter2\n")
    con = _locked_connection(work, [allowed])
    assert con.execute(f"SELECT * FROM read_csv('{allowed}')").fetchall() == [(1,)]
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"SELECT * FROM read_csv('{secret}')")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"SELECT * FROM read_csv('{work}/../secret.csv')")
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        con.execute("INSTALL httpfs")


def test_identifiers_with_quotes_and_spaces_are_quoted(run: RunFlow) -> None:
    result, _ = run(
        [
            {"kind": "rename", "columns": {"amount": 'a "quoted"; DROP TABLE x; name'}},
            {"kind": "select", "columns": ['a "quoted"; DROP TABLE x; name']},
            {"kind": "sort", "columns": ['a "quoted"; DROP TABLE x; name']},
        ]
    )
    assert result.columns == [('a "quoted"; DROP TABLE x; name', "DOUBLE")]
    assert result.preview[0] == {'a "quoted"; DROP TABLE x; name': 3.0}
