"""Recovering runs whose worker died or whose message was lost, and ending overdue runs.

Beat calls `reap` every 30 seconds. Everything here is safe to run twice at once: it only
uses the conditional transitions of `runs.state` and `dispatch.resume`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from runs import state
from runs.models import ACTIVE_RUN_STATUSES, Job, JobStatus, PlanRun, RunStatus
from tasks_engine import dispatch, jobs

logger = logging.getLogger(__name__)
STALL_SECONDS = 120


def reap() -> dict[str, int]:
    counts = {"overdue": 0, "workerLost": 0, "resumed": 0, "finished": 0}
    now = timezone.now()
    limit = now - timedelta(hours=settings.MAX_RUN_HOURS)
    for run in PlanRun.objects.filter(status__in=ACTIVE_RUN_STATUSES, created_at__lt=limit):
        message = f"The run exceeded the maximum run duration of {settings.MAX_RUN_HOURS} h."
        # One commit: whoever hears `run_finished` (mails) sees the pending jobs canceled too.
        with transaction.atomic():
            if state.run_end(run.pk, status=RunStatus.FAILED, error=message):
                state.jobs_cancel_pending(run.pk)
                counts["overdue"] += 1
    for job in Job.objects.filter(
        status=JobStatus.RUNNING,
        heartbeat_at__lt=jobs.stale_before(),
        run__status__in=ACTIVE_RUN_STATUSES,
    ):
        if state.job_fail_stale(job.pk, stale_before=jobs.stale_before()):
            jobs.log_line(
                job.pk, "The worker running this job stopped; marked failed by the reaper.", "ERROR"
            )
            dispatch.resume(job.run_id)
            counts["workerLost"] += 1
    # Ad-hoc flow jobs have no run to resume; their outcome is recorded all the same.
    for job in Job.objects.filter(
        status=JobStatus.RUNNING, run__isnull=True, heartbeat_at__lt=jobs.stale_before()
    ):
        if state.job_fail_stale(job.pk, stale_before=jobs.stale_before()):
            jobs.log_line(
                job.pk, "The worker running this job stopped; marked failed by the reaper.", "ERROR"
            )
            counts["workerLost"] += 1
    quiet_since = now - timedelta(seconds=STALL_SECONDS)
    stalled = (
        PlanRun.objects.filter(status__in=ACTIVE_RUN_STATUSES, created_at__lt=quiet_since)
        .exclude(jobs__status=JobStatus.RUNNING)
        .annotate(last_finish=Max("jobs__finished_at"))
        .filter(Q(last_finish__isnull=True) | Q(last_finish__lt=quiet_since))
    )
    for run in stalled:
        if run.jobs.filter(status=JobStatus.PENDING).exists():
            logger.warning(
                "Run %s made no progress for %s s; resuming its chain.", run.pk, STALL_SECONDS
            )
            dispatch.resume(run.pk)
            counts["resumed"] += 1
        else:
            jobs.finish_run(run.pk)
            counts["finished"] += 1
    return counts
