"""Executing an ad-hoc flow job (a `runs.Job` with no run) inside a worker.

Plan jobs go through `tasks_engine.jobs.execute`, which needs a run; an ad-hoc job has none,
so it is claimed, watched and finished here with the same conditional transitions
(`runs.state`) and executed by the same flow executor.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from runs import state
from runs.models import Job, JobStatus
from tasks_engine.executors.base import ExecutionContext, ExecutionResult
from tasks_engine.executors.flow import FlowTask
from tasks_engine.jobs import log_line, worker_name


def _heartbeat(job_id: int, worker: str, stopped: threading.Event) -> None:
    try:
        while not stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
            state.job_heartbeat(job_id, worker=worker)
    finally:
        connection.close()


def execute_adhoc_job(job_id: int) -> bool:
    """Run ad-hoc flow job `job_id` if it is still pending; False when another delivery (or
    nobody: the job is gone or not an ad-hoc flow job) has it."""
    job = Job.objects.filter(
        pk=job_id, run__isnull=True, task_type="flow", status=JobStatus.PENDING
    ).first()
    if job is None:
        return False
    me = worker_name()
    if not state.job_claim(job.pk, worker=me):
        return False
    request: dict[str, Any] = dict(job.result.get("request") or {})
    log_line(job.pk, f"Started ad-hoc run of flow '{job.task_name}'.")
    stopped = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job.pk, me, stopped), daemon=True)
    beat.start()
    context = ExecutionContext(
        job_id=job.pk,
        run_id=None,
        log=lambda message: log_line(job.pk, message),
        render=lambda text: text,
        secret=lambda name: None,
        cancel=threading.Event(),
        parameters={job.task_name: dict(request.get("parameterOverrides") or {})},
    )
    spec = {
        "name": job.task_name,
        "type": "flow",
        "config": {
            "flow": job.task_id,
            "flowName": job.task_name,
            "outputs": list(request.get("outputs") or []),
        },
    }
    try:
        result = FlowTask().run(spec, context)
    except Exception as exc:  # recorded on the job like a plan job's failure
        result = ExecutionResult(status="failed", error=str(exc) or exc.__class__.__name__)
    finally:
        stopped.set()
        beat.join(timeout=5)
        close_old_connections()
    state.job_finish(
        job.pk,
        status=result.status,
        result={**result.result, "request": request},
        error=result.error,
        worker=me,
    )
    log_line(job.pk, f"Finished: {result.status}" + (f": {result.error}" if result.error else ""))
    return True
