"""Executing one job inside a worker: claim, decide, run, record.

Every job goes through here: a run's jobs (as links of the run's Celery chain) and jobs with
no run (an ad-hoc flow run, one message of its own). Returns whether the Celery chain should
go on. A duplicate delivery of a job that another worker is running returns STOP, so the
duplicate's copy of the chain dies there and the next job is never started twice or early.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from datetime import timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from connections.resolve import resolve_task_secret
from core.errors import TaskError
from plans.task_types import REGISTRY
from runs import state
from runs.conditions import skip_reason
from runs.models import Job, JobLogLine, JobStatus, PlanRun, RunStatus
from tasks_engine.reference_context import build_context
from tasks_engine.rendering import render_text
from tasks_engine.task_types.base import ExecutableTaskType, ExecutionContext, ExecutionResult

logger = logging.getLogger(__name__)


class Next(Enum):
    CONTINUE = "continue"
    STOP = "stop"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def stale_before() -> Any:
    """A running job whose heartbeat is older than this has lost its worker."""
    return timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_SECONDS * 3)


def log_line(job_id: int, message: str, level: str = "INFO") -> None:
    """Append a line to the job's log; a job deleted meanwhile (its plan was) takes nothing."""
    try:
        with transaction.atomic():
            JobLogLine.objects.create(
                job_id=job_id, at=timezone.now(), level=level, message=message[:10_000]
            )
    except IntegrityError:
        logger.info("Job %s no longer exists; log line dropped: %s", job_id, message[:200])


def execute(job_id: int, *, job: Job | None = None) -> Next:
    """Run job `job_id` if it is this delivery's to run; see the module docstring.

    `job`, when given, is that job's row with its run, just read by the caller (it saves
    reading them again; every decision below still goes through conditional updates).
    """
    if job is None or job.pk != job_id:
        job = Job.objects.select_related("run").filter(pk=job_id).first()
    if job is None:
        return Next.STOP
    if job.run is None:
        return _execute_alone(job)
    run = job.run
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED):
        state.jobs_cancel_pending(run.pk)
        return Next.CONTINUE
    earlier = Job.objects.filter(
        run=run, position__lt=job.position, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
    )
    if earlier.exists():
        # A duplicate message jumped ahead of a job that is still running: not ours to start.
        return Next.STOP
    if job.status != JobStatus.PENDING:
        return _handle_not_pending(job)
    spec = _task_spec(run, job)
    upstream_statuses = list(
        Job.objects.filter(run=run, task_ref__in=spec["upstream"]).values_list("status", flat=True)
    )
    reason = skip_reason(spec["runWhen"], upstream_statuses)
    if reason is not None:
        if state.job_skip(job.pk, reason=reason):
            state.run_start(run.pk)
            log_line(job.pk, f"Skipped: {reason}")
        return Next.CONTINUE
    me = worker_name()
    if not state.job_claim(job.pk, worker=me):
        job.refresh_from_db()
        return _handle_not_pending(job)
    state.run_start(run.pk)
    _run_claimed(job, run, me)
    return Next.CONTINUE


def _execute_alone(job: Job) -> Next:
    """A job with no run (an ad-hoc flow run): claim it and run it; no chain follows."""
    if job.status == JobStatus.PENDING and job.cancel_requested:
        state.job_cancel_alone(job.pk)
        return Next.STOP
    if job.status != JobStatus.PENDING:
        _handle_not_pending(job)
        return Next.STOP
    me = worker_name()
    if not state.job_claim(job.pk, worker=me):
        job.refresh_from_db()
        _handle_not_pending(job)
        return Next.STOP
    _run_claimed(job, None, me)
    return Next.STOP


def _handle_not_pending(job: Job) -> Next:
    """A delivery for a job that is running or has ended.

    A running job may belong to a live worker (a plain duplicate) or to one that just died (a
    redelivery after `reject_on_worker_lost`). We cannot tell which at once, so we watch it for
    up to three heartbeats: if it ends, the chain goes on from here; if its heartbeat goes
    stale, its worker is gone and we record that; if it is still alive, this copy stops.
    """
    deadline = time.monotonic() + settings.JOB_HEARTBEAT_SECONDS * 3 + 1
    while True:
        if job.is_ended:
            # This delivery may be the only one left to carry the chain on (its worker died
            # after finishing); the next job's own claim prevents a double start.
            return Next.CONTINUE
        if state.job_fail_stale(job.pk, stale_before=stale_before()):
            log_line(job.pk, "The worker running this job stopped; marked failed.", "ERROR")
            return Next.CONTINUE
        if time.monotonic() >= deadline:
            return Next.STOP
        time.sleep(0.5)
        job.refresh_from_db(fields=["status", "heartbeat_at"])


def _task_spec(run: PlanRun | None, job: Job) -> dict[str, Any]:
    """The task the job executes: its own `spec`, or (rows from before `spec`) the snapshot's."""
    if job.spec or run is None:
        return job.spec
    for task in run.snapshot["tasks"]:
        if task["position"] == job.position:
            return task
    raise LookupError(f"Job {job.pk} has no task at position {job.position} in its snapshot.")


class _Watcher(threading.Thread):
    """Keeps the job's heartbeat fresh and sets `cancel` when the run is canceled or ended (or,
    for a job with no run, when its cancel is requested)."""

    def __init__(self, job: Job, run: PlanRun | None, worker: str, cancel: threading.Event) -> None:
        super().__init__(name=f"plans-watch-{job.pk}", daemon=True)
        self.job, self.plan_run, self.worker, self.cancel = job, run, worker, cancel
        self.stopped = threading.Event()

    def run(self) -> None:
        beat_every = settings.JOB_HEARTBEAT_SECONDS
        last_beat = 0.0
        ticks = 0.0
        try:
            while not self.stopped.wait(0.25):
                ticks += 0.25
                if self._stop_asked():
                    self.cancel.set()
                if ticks - last_beat >= beat_every:
                    state.job_heartbeat(self.job.pk, worker=self.worker)
                    last_beat = ticks
        finally:
            connection.close()

    def _stop_asked(self) -> bool:
        if self.plan_run is None:
            return bool(
                Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
                or not Job.objects.filter(pk=self.job.pk).exists()
            )
        status = PlanRun.objects.filter(pk=self.plan_run.pk).values_list("status", flat=True)
        return status.first() in (None, RunStatus.CANCELED, RunStatus.FAILED)


def _run_claimed(job: Job, run: PlanRun | None, worker: str) -> None:
    spec = _task_spec(run, job)
    cancel = threading.Event()
    watcher = _Watcher(job, run, worker, cancel)
    watcher.start()
    try:
        result = _execute_spec(job, run, spec, cancel)
    finally:
        watcher.stopped.set()
        watcher.join(timeout=5)
    if cancel.is_set() and result.status != "succeeded":
        result = ExecutionResult(status="canceled", result=result.result, error="Canceled.")
    if state.job_finish(
        job.pk, status=result.status, result=result.result, error=result.error, worker=worker
    ):
        log_line(
            job.pk, f"Finished: {result.status}" + (f": {result.error}" if result.error else "")
        )
    else:
        log_line(
            job.pk,
            "Finished after its outcome was already recorded elsewhere; result discarded.",
            "WARNING",
        )


def _execute_spec(
    job: Job, run: PlanRun | None, spec: dict[str, Any], cancel: threading.Event
) -> ExecutionResult:
    task_type = REGISTRY.get(spec.get("type", ""))
    if not isinstance(task_type, ExecutableTaskType):
        return ExecutionResult(status="failed", error=f"Unknown task type {spec.get('type')!r}.")
    log_line(job.pk, f"Started task '{spec['name']}' ({spec['type']}).")
    references: dict[str, Any] | None = None

    def render(text: str) -> str:
        nonlocal references
        if "{{" not in text or run is None:
            return text
        if references is None:
            references = build_context(job)
        return render_text(text, references)

    context = ExecutionContext(
        job_id=job.pk,
        run_id=run.pk if run is not None else None,
        log=lambda message: log_line(job.pk, message),
        render=render,
        secret=lambda name: resolve_task_secret(spec, name),
        cancel=cancel,
        plan=run.snapshot.get("plan", {}) if run is not None else {},
        type_data=(run.snapshot.get("types") or {}).get(spec["type"]) if run is not None else None,
        parameters=(
            run.parameter_overrides if run is not None else spec.get("parameterOverrides", {})
        ),
    )
    try:
        return task_type.run(spec, context)
    except TaskError as exc:  # a task's own failure is recorded on the job, never raised
        return ExecutionResult(status="failed", error=str(exc))
    except Exception as exc:
        logger.exception("Job %s crashed", job.pk)
        log_line(job.pk, traceback.format_exc(limit=5), "ERROR")
        return ExecutionResult(
            status="failed", error=f"Internal error: {exc.__class__.__name__}: {exc}"
        )
    finally:
        close_old_connections()


def finish_run(run_id: int) -> None:
    """Set the run's final status from its jobs: failed if any job failed (naming it).

    A duplicate delivery, or a run a cancel or the reaper ended first, changes nothing."""
    run = PlanRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_active:
        return
    jobs = list(run.jobs.order_by("position"))
    if any(job.status in (JobStatus.PENDING, JobStatus.RUNNING) for job in jobs):
        # Called out of order (a resumed chain will call it again at its end).
        return
    failed = [job for job in jobs if job.status == JobStatus.FAILED]
    if failed:
        first = failed[0]
        message = f"Task '{first.task_name}' failed: {first.error}"
        if len(failed) > 1:
            message += f" (and {len(failed) - 1} more)"
        state.run_end(run.pk, status=RunStatus.FAILED, error=message)
    elif any(job.status == JobStatus.CANCELED for job in jobs):
        state.run_end(run.pk, status=RunStatus.CANCELED, error="Canceled.")
    else:
        state.run_end(run.pk, status=RunStatus.SUCCEEDED)
    # `state.run_end` announces the end (run_finished) if, and only if, this call ended it.
