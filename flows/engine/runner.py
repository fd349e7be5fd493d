"""`run_flow`: stage the inputs, lock down a DuckDB connection, build recipes, write outputs.

Security model: every input is a known local file before any SQL runs (S3 objects are downloaded
into the run's work folder). The connection then gets `allowed_paths` = those files,
`allowed_directories` = the work folder, `enable_external_access = false` and
`lock_configuration = true`, so user SQL can read no other file, install or load nothing and
change no setting even if `flows.engine.sqlcheck` missed a construct. Parameter values are only
ever bound as prepared-statement values. See `flows.engine.build` for the execution model.

Stopping: the run's caps (memory, threads, spill size) are set before the lock, and a cancel
event or the time limit interrupts the running query (`flows.engine.limits`). Outputs are
staged in the work folder and published together only once all are complete.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from flows.engine import storage
from flows.engine.build import Builder, elapsed_ms, error_message
from flows.engine.errors import FlowError, ParameterError
from flows.engine.limits import RunLimits, Stopper
from flows.engine.parameters import coerce_parameter, render_path
from flows.engine.results import OutputResult
from flows.engine.spec import FlowSpec, OutputSpec
from flows.engine.sqlcheck import quote_literal
from flows.engine.writing import publish_outputs, stage_output


def resolve_parameters(flow: FlowSpec, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The flow's parameter values with `overrides` applied and coerced to each declared type."""
    declared = {parameter.name: parameter for parameter in flow.parameters}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ParameterError(f"The flow has no parameter named {', '.join(unknown)}.")
    values = {name: parameter.value for name, parameter in declared.items()}
    for name, value in overrides.items():
        values[name] = coerce_parameter(declared[name].type, value, name=name)
    return values


def run_flow(
    flow: FlowSpec,
    *,
    outputs: list[str] | None,
    parameters: Mapping[str, Any],
    run_id: str | int,
    log: Callable[[str], None],
    cancel: threading.Event | None = None,
    limits: RunLimits | None = None,
) -> list[OutputResult]:
    """Write the selected outputs (all when `outputs` is empty or None), in the flow's order.

    Only the recipes and datasets those outputs need are read and built. `parameters` override
    the flow's defaults. `log` receives one line per dataset, step and output. Every output is
    first written completely inside the run's work folder, then all are published together
    (`storage.publish_all`): a run that fails or stops publishes nothing.

    `limits` (default `RunLimits()`) caps DuckDB's memory, threads and spill size and sets the
    time limit. When `cancel` is set or the time limit passes, the running query is interrupted
    and FlowCanceled / FlowTimedOut is raised, until publishing has begun; raises FlowError with
    a message for users for everything else.
    """
    limits = limits or RunLimits()
    stopper = Stopper(cancel, limits.max_seconds)
    values = resolve_parameters(flow, parameters)
    selected = _select_outputs(flow, outputs)
    recipes = _needed_recipes(flow, selected)
    now = dt.datetime.now(dt.UTC)
    path_values: dict[str, Any] = {
        "runId": str(run_id),
        "date": now.date(),
        "timestamp": now.strftime("%Y%m%dT%H%M%SZ"),
        **values,
    }
    with tempfile.TemporaryDirectory(prefix="flow-run-") as folder:
        work = Path(folder)
        inputs = _stage_inputs(flow, recipes, path_values, work, log, stopper)
        targets = {
            output.name: storage.plan_output(
                output.location,
                render_path(output.path, path_values, what=f"Output {output.name}"),
                output.mode,
                str(run_id),
                work,
                f"Output {output.name}",
            )
            for output in selected
        }
        stopper.check()
        allowed = [path for files in inputs.values() for path in files]
        allowed += [t.existing for t in targets.values() if t.existing is not None]
        con = _locked_connection(work, allowed, limits)
        try:
            with stopper.watching(con):
                consumers = _consumers(flow, recipes, selected)
                builder = Builder(con, flow, values, inputs, consumers, log, stopper)
                staged = [
                    stage_output(builder, output, targets[output.name], work) for output in selected
                ]
        finally:
            con.close()
        return publish_outputs(staged, stopper, log)


def _select_outputs(flow: FlowSpec, names: list[str] | None) -> list[OutputSpec]:
    if not names:
        return list(flow.outputs)
    known = {output.name for output in flow.outputs}
    missing = [name for name in names if name not in known]
    if missing:
        raise FlowError(f"The flow has no output named {', '.join(missing)}.")
    return [output for output in flow.outputs if output.name in names]


def _needed_recipes(flow: FlowSpec, outputs: list[OutputSpec]) -> list[str]:
    needed: list[str] = []

    def visit(name: str) -> None:
        if name in needed:
            return
        for ref in flow.recipe(name).references():
            if ref.kind == "recipe":
                visit(ref.name)
        needed.append(name)

    for output in outputs:
        visit(output.recipe)
    return needed


def _consumers(flow: FlowSpec, recipes: list[str], outputs: list[OutputSpec]) -> dict[str, int]:
    counts = {name: 0 for name in recipes}
    for name in recipes:
        for ref in flow.recipe(name).references():
            if ref.kind == "recipe":
                counts[ref.name] += 1
    for output in outputs:
        counts[output.recipe] += 1
    return counts


def _stage_inputs(
    flow: FlowSpec,
    recipes: list[str],
    values: Mapping[str, Any],
    work: Path,
    log: Callable[[str], None],
    stopper: Stopper,
) -> dict[str, list[Path]]:
    names = [
        ref.name
        for recipe in recipes
        for ref in flow.recipe(recipe).references()
        if ref.kind == "dataset"
    ]
    inputs: dict[str, list[Path]] = {}
    for name in dict.fromkeys(names):
        stopper.check()
        dataset = flow.dataset(name)
        what = f"Dataset {name}"
        path = render_path(dataset.path, values, what=what)
        started = time.perf_counter()
        if dataset.location.kind == "local":
            files = storage.local_inputs(dataset.location, path, what)
        else:
            folder = work / f"in-{uuid.uuid4().hex}"
            folder.mkdir()
            files = storage.s3_inputs(dataset.location, path, folder, what, stopper)
        size = sum(file.stat().st_size for file in files)
        took = elapsed_ms(started)
        log(f"Dataset {name}: {len(files)} file(s), {size:,} bytes, ready in {took} ms")
        inputs[name] = files
    return inputs


def _locked_connection(
    work: Path, allowed: list[Path], limits: RunLimits | None = None
) -> duckdb.DuckDBPyConnection:
    limits = limits or RunLimits()
    con = duckdb.connect(":memory:")
    caps = {
        "memory limit": f"SET memory_limit = {quote_literal(limits.memory_limit)}",
        "thread count": f"SET threads = {int(limits.threads)}",
        "spill size limit": (
            f"SET max_temp_directory_size = {quote_literal(limits.max_temp_directory_size)}"
        ),
    }
    for what, sql in caps.items():
        try:
            con.execute(sql)
        except duckdb.Error as error:
            con.close()
            raise FlowError(f"The {what} is not valid: {error_message(error)}") from None
    spill = work / "spill"
    spill.mkdir()
    con.execute(f"SET temp_directory = {quote_literal(str(spill))}")
    # Its bar would go to the worker's stdout for every query longer than two seconds.
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET allowed_directories = [{quote_literal(str(work) + '/')}]")
    if allowed:
        con.execute(f"SET allowed_paths = [{', '.join(quote_literal(str(p)) for p in allowed)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
