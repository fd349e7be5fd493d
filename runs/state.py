"""The run and job state machine, as conditional updates.

Every transition is `filter(id=..., status__in=<allowed from>).update(...)` and reports
whether it happened: when it did not, another worker, the reaper or a cancel got there first,
and the caller must not act as if it had.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from runs.models import ACTIVE_RUN_STATUSES, Job, JobStatus, PlanRun, RunStatus

logger = logging.getLogger(__name__)

FINAL_JOB_STATUSES = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SKIPPED, JobStatus.CANCELED}
FINAL_RUN_STATUSES = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED}


def job_claim(job_id: int, *, worker: str) -> bool:
    """pending -> running. True if this caller now owns the job."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=worker,
            attempts=F("attempts") + 1,
        )
    )


def job_skip(job_id: int, *, reason: str) -> bool:
    """pending -> skipped, recording why."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            status=JobStatus.SKIPPED, result={"skipReason": reason}
        )
    )


def job_finish(
    job_id: int, *, status: str, result: dict[str, Any], error: str = "", worker: str | None = None
) -> bool:
    """running -> succeeded | failed | canceled. Refuses a non-final status.

    With `worker`, only the worker that claimed the job may finish it (a worker presumed dead
    whose job was taken over must not overwrite the recorded outcome).
    """
    if status not in FINAL_JOB_STATUSES or status == JobStatus.SKIPPED:
        raise ValueError(f"{status!r} is not a status a running job can end in.")
    query = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING)
    if worker is not None:
        query = query.filter(worker=worker)
    return bool(query.update(status=status, result=result, error=error, finished_at=timezone.now()))


def job_cancel_alone(job_id: int) -> bool:
    """pending -> canceled for a job with no run whose cancel was requested."""
    return bool(
        Job.objects.filter(pk=job_id, run__isnull=True, status=JobStatus.PENDING).update(
            status=JobStatus.CANCELED, error="Canceled.", finished_at=timezone.now()
        )
    )


def job_heartbeat(job_id: int, *, worker: str) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker=worker).update(
            heartbeat_at=timezone.now()
        )
    )


def job_fail_stale(job_id: int, *, stale_before: datetime) -> bool:
    """running (with a heartbeat older than `stale_before`) -> failed: its worker died."""
    return bool(
        Job.objects.filter(
            pk=job_id, status=JobStatus.RUNNING, heartbeat_at__lt=stale_before
        ).update(
            status=JobStatus.FAILED,
            error="The worker running this job stopped before it finished; the task may have partly run.",
            finished_at=timezone.now(),
        )
    )


def jobs_cancel_pending(run_id: int) -> int:
    return Job.objects.filter(run_id=run_id, status=JobStatus.PENDING).update(
        status=JobStatus.CANCELED
    )


def run_start(run_id: int) -> bool:
    """queued -> running."""
    return bool(
        PlanRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now()
        )
    )


def run_end(run_id: int, *, status: str, error: str = "") -> bool:
    """queued | running -> succeeded | failed | canceled.

    Every final transition of a run goes through here (the worker's `finish_run`, a cancel,
    the reaper), and only the caller whose update happened sends `runs.signals.run_finished`,
    after its transaction commits: so each run announces its end exactly once, however many
    duplicate deliveries or racing cancels try to end it.
    """
    if status not in FINAL_RUN_STATUSES:
        raise ValueError(f"{status!r} is not a final run status.")
    now = timezone.now()
    updated = PlanRun.objects.filter(pk=run_id, status__in=ACTIVE_RUN_STATUSES).update(
        status=status, error=error, finished_at=now
    )
    if updated:
        # A run that ended before any job started still gets a start time, for durations.
        PlanRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
        transaction.on_commit(lambda: _announce_end(run_id))
    return bool(updated)


def _announce_end(run_id: int) -> None:
    from runs.signals import run_finished

    # The status is already committed: a listener's failure (a broker down) must not surface
    # in the worker, a cancel request or the reaper as if ending the run had failed.
    for receiver, outcome in run_finished.send_robust(sender=PlanRun, run_id=run_id):
        if isinstance(outcome, Exception):
            logger.error(
                "run_finished receiver %r failed for run %s",
                receiver,
                run_id,
                exc_info=(type(outcome), outcome, outcome.__traceback__),
            )
