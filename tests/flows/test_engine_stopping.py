"""Stopping a flow run: cancel and the time limit interrupt the running query, nothing partial
is published, and each run's DuckDB is capped (threads, memory, spill size)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from flows.engine import FlowCanceled, FlowError, FlowSpec, FlowTimedOut, RunLimits, run_flow
from flows.engine.runner import _locked_connection
from tests.flows.conftest import flow_dict

# About 10^10 rows to filter: ~40 s on two threads of the development machine, so a run that
# ends within seconds was stopped, and one that was not stopped still ends.
SLOW_QUERY = (
    "SELECT count(*) AS n FROM (SELECT * FROM input LIMIT 1), range(100000) a, range(100000) b"
    " WHERE (a.range + b.range) % 7 = 3"
)


def two_output_flow(root: Path, second: str = SLOW_QUERY) -> FlowSpec:
    """Output "out" (quick), then output "slow" from the query `second`."""
    spec = flow_dict(root, [{"kind": "limit", "count": 2}])
    spec["recipes"].append(
        {
            "name": "heavy",
            "source": {"dataset": "sales"},
            "steps": [{"kind": "sql", "query": second}],
        }
    )
    spec["outputs"].append(
        {
            "name": "slow",
            "recipe": "heavy",
            "location": {"kind": "local", "root": str(root)},
            "path": "out/slow.csv",
            "format": "csv",
        }
    )
    return FlowSpec.from_dict(spec)


def files_under(folder: Path) -> list[str]:
    """Every file under `folder`, hidden ones included (a left-over `.part` would show)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def run(flow: FlowSpec, **kwargs: Any) -> list[Any]:
    return run_flow(flow, outputs=None, parameters={}, run_id=1, log=lambda line: None, **kwargs)


def test_a_cancel_interrupts_the_running_query_and_publishes_nothing(root: Path) -> None:
    before = files_under(root)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()

    with pytest.raises(FlowCanceled, match="Canceled"):
        run(two_output_flow(root), cancel=cancel)

    assert time.monotonic() - started < 5, "the query was not interrupted"
    # The first output was complete before the cancel came, but only a whole flow is published.
    assert files_under(root) == before


def test_the_time_limit_interrupts_the_running_query_and_publishes_nothing(root: Path) -> None:
    before = files_under(root)
    started = time.monotonic()

    with pytest.raises(FlowTimedOut, match="time limit of 1 s"):
        run(two_output_flow(root), limits=RunLimits(max_seconds=1))

    assert time.monotonic() - started < 5
    assert files_under(root) == before


def test_a_cancel_before_any_query_stops_the_run_at_once(root: Path) -> None:
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(FlowCanceled):
        run(two_output_flow(root), cancel=cancel)

    assert not (root / "out").exists()


def test_an_output_failing_after_another_was_written_publishes_neither(root: Path) -> None:
    # The second query fails only while it runs (a text that is not a number).
    flow = two_output_flow(root, "SELECT CAST(customer AS INTEGER) AS n FROM input")

    with pytest.raises(FlowError, match="Could not convert"):
        run(flow)

    assert not (root / "out").exists()


def test_a_run_that_is_not_stopped_publishes_every_output(root: Path) -> None:
    cancel = threading.Event()

    results = run(two_output_flow(root, "SELECT * FROM input"), cancel=cancel)

    assert [r.output for r in results] == ["out", "slow"]
    assert files_under(root / "out") == ["result.csv", "slow.csv"]
    assert [r.size_bytes for r in results] == [
        (root / "out" / "result.csv").stat().st_size,
        (root / "out" / "slow.csv").stat().st_size,
    ]


def test_the_spill_folder_is_capped(root: Path) -> None:
    # Sorting ~3 M wide rows in 30 MB of memory must spill; 1 MB of spill is not enough.
    spec = flow_dict(
        root,
        [
            {
                "kind": "sql",
                "query": "SELECT r.range AS n, md5(r.range::varchar) AS h "
                "FROM (SELECT * FROM input LIMIT 1), range(3000000) r",
            },
            {"kind": "sort", "columns": ["h"]},
        ],
    )
    limits = RunLimits(memory_limit="30MB", max_temp_directory_size="1MB")

    with pytest.raises(FlowError, match="max_temp_directory_size"):
        run(FlowSpec.from_dict(spec), limits=limits)

    assert not (root / "out").exists()


def test_the_run_connection_gets_the_thread_and_size_caps(tmp_path: Path) -> None:
    limits = RunLimits(threads=1, memory_limit="64MiB", max_temp_directory_size="2GiB")

    con = _locked_connection(tmp_path, [], limits)

    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('threads', 'memory_limit', 'max_temp_directory_size', 'enable_progress_bar')"
        ).fetchall()
    )
    assert settings == {
        "threads": "1",
        "memory_limit": "64.0 MiB",
        "max_temp_directory_size": "2.0 GiB",
        "enable_progress_bar": "false",
    }


def test_a_bad_cap_is_a_flow_error(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="spill size limit is not valid"):
        _locked_connection(tmp_path, [], RunLimits(max_temp_directory_size="lots"))
