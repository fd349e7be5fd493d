"""Flow jobs stop when told: a cancel interrupts the running query in a real worker, and the
time limit (FLOW_MAX_SECONDS) fails the job with the reason; neither writes an output."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.services import flow_create
from plans.services import plan_create
from runs.models import JobStatus, PlanRun, RunStatus
from runs.services import run_cancel, run_plan
from tests.conftest import WorkerProcess, dedicated_worker
from tests.flows.test_engine_stopping import SLOW_QUERY
from tests.helpers import wait_for_run, wait_until
from tests.tasks_engine.plan_helpers import no_enqueue, run_in_process

__all__ = ["no_enqueue"]
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def storage_root(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "storage"
    (root / "data").mkdir(parents=True)
    (root / "data" / "sales.csv").write_text("id,amount\n1,10\n2,20\n")
    settings.STORAGE_ROOT = root
    return root


def slow_plan(owner: Any) -> Any:
    """A plan whose one flow task runs a query of about 40 s, then writes out/count.csv."""
    flow = flow_create(
        owner=owner,
        name="Slow",
        definition={
            "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
            "recipes": [
                {
                    "name": "count",
                    "source": {"dataset": "sales"},
                    "steps": [{"kind": "sql", "query": SLOW_QUERY}],
                }
            ],
            "outputs": [{"name": "count", "recipe": "count", "path": "out/count.csv"}],
        },
    )
    return plan_create(
        owner=owner,
        name="Slow",
        tasks=[{"name": "Count", "type": "flow", "config": {"flow": flow.pk}}],
    )


@pytest.fixture
def worker(storage_root: Path, tmp_path: Path) -> Iterator[WorkerProcess]:
    # The time limit bounds the test should the cancel not work (the query would then end too).
    with dedicated_worker(
        tmp_path / "worker.log",
        {"STORAGE_ROOT": str(storage_root), "FLOW_MAX_SECONDS": "120"},
        concurrency=1,
    ) as process:
        yield process


@pytest.mark.e2e
def test_a_flow_canceled_mid_query_stops_at_once_and_writes_nothing(
    user: Any, storage_root: Path, worker: WorkerProcess
) -> None:
    run = run_plan(plan=slow_plan(user), source="manual", requested_by=user)
    job = run.jobs.get()
    wait_until(
        lambda: job.log_lines.filter(message__startswith="Dataset sales").exists(),
        timeout=60,
        what="the flow to reach its query",
    )
    time.sleep(0.5)  # well inside the ~40 s query
    canceled_at = time.monotonic()

    run_cancel(run=PlanRun.objects.get(pk=run.pk))

    wait_until(
        lambda: run.jobs.filter(status=JobStatus.CANCELED).exists(),
        timeout=20,
        what=f"the job to be recorded canceled\n{worker.log()[-3000:]}",
    )
    assert time.monotonic() - canceled_at < 5, "the query went on after the cancel"
    job.refresh_from_db()
    assert job.error == "Canceled."
    assert job.result["outputs"] == []
    assert wait_for_run(run.pk).status == RunStatus.CANCELED
    assert not (storage_root / "out").exists()
    log = list(job.log_lines.values_list("message", flat=True))
    assert log[-1] == "Finished: canceled: Canceled."


def test_a_flow_past_its_time_limit_fails_with_the_reason_and_writes_nothing(
    user: Any, storage_root: Path, settings: Any, no_enqueue: list[int]
) -> None:
    settings.FLOW_MAX_SECONDS = 1
    started = time.monotonic()

    run = run_in_process(slow_plan(user), requested_by=user)

    assert time.monotonic() - started < 10
    job = run.jobs.get()
    assert (run.status, job.status) == (RunStatus.FAILED, JobStatus.FAILED)
    assert job.error == "Stopped: the flow ran longer than its time limit of 1 s."
    assert "time limit of 1 s" in run.error
    assert not (storage_root / "out").exists()
