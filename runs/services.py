"""Starting, canceling and retrying runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import FieldErrors, ServiceValidationError, merge_errors
from plans.models import Plan, Trigger
from plans.snapshot import build_snapshot
from plans.task_types import REGISTRY
from runs import state
from runs.models import ACTIVE_RUN_STATUSES, Job, JobStatus, PlanRun, RunSource, RunStatus
from runs.signals import run_queued
from workspace.features import require_plans_enabled


class RunStateError(Exception):
    """The run is not in a state that allows the action (e.g. canceling an ended run)."""


def _create_run(*, plan: Plan, snapshot: dict[str, Any], source: str, **fields: Any) -> PlanRun:
    run = PlanRun.objects.create(plan=plan, snapshot=snapshot, source=source, **fields)
    Job.objects.bulk_create(
        Job(
            run=run,
            plan=plan,
            position=task["position"],
            task_id=task["id"],
            task_name=task["name"],
            task_ref=task["ref"],
            task_type=task["type"],
            spec=task,
        )
        for task in snapshot["tasks"]
    )
    return run


def _check_parameter_overrides(plan: Plan, overrides: dict[str, Any] | None) -> None:
    """Raise ServiceValidationError for run `parameterOverrides` the plan's task types refuse
    (keyed `parameterOverrides.<...>`; for flows an unknown flow or parameter, or a value of
    the wrong type); overrides when no registered type takes any are refused whole."""
    if not overrides:
        return
    takers = [task_type for task_type in REGISTRY.values() if task_type.takes_run_overrides]
    if not takers:
        raise ServiceValidationError(
            {"parameterOverrides": ["No task of this plan takes parameter overrides."]}
        )
    errors: FieldErrors = {}
    for task_type in takers:
        merge_errors(errors, task_type.check_run_overrides(plan=plan, overrides=overrides))
    if errors:
        raise ServiceValidationError(errors)


def _enqueue_on_commit(run: PlanRun) -> None:
    transaction.on_commit(lambda: run_queued.send(sender=PlanRun, run_id=run.pk))


@transaction.atomic
def run_plan(
    *,
    plan: Plan,
    source: str,
    requested_by: AbstractBaseUser | None = None,
    trigger: Trigger | None = None,
    scheduled_for: datetime | None = None,
    late: bool = False,
    parameter_overrides: dict[str, Any] | None = None,
    idempotency_key: str = "",
    enqueue: bool = True,
) -> PlanRun:
    """Snapshot the plan and queue a run of it: one pending job per task, enqueued on commit.

    On commit `runs.signals.run_queued` is sent, on which the engine sends the jobs to the
    workers. With `enqueue=False` nothing is sent: the caller must start the run after the
    commit (`tasks_engine.dispatch.enqueue` or `start_here`), or the reaper resumes it after
    its stall delay.

    Raises `django.db.IntegrityError` when `(trigger, scheduled_for)` already has a run; callers
    that fire slots catch it (inside their own savepoint) to make a slot start at most one run.
    Raises `core.errors.ServiceValidationError` for parameter overrides the plan's task types
    refuse (for flows: an unknown flow or parameter, or a value of the wrong type), and `workspace.features.FeatureDisabled` while
    plans are turned off in the workspace settings (whoever asks: the firing checks first).
    Who may run the plan is the caller's business (`plans.access`).
    """
    require_plans_enabled()
    _check_parameter_overrides(plan, parameter_overrides)
    # Task types freeze their own data (the flow type: its parameter layers), so later plan
    # and trigger edits do not change this run.
    snapshot = build_snapshot(plan, trigger=trigger)
    run = _create_run(
        plan=plan,
        snapshot=snapshot,
        source=source,
        requested_by=requested_by
        if requested_by is not None and requested_by.is_authenticated
        else None,
        trigger=trigger,
        scheduled_for=scheduled_for,
        late=late,
        parameter_overrides=parameter_overrides or {},
        idempotency_key=idempotency_key,
    )
    if source != RunSource.SCHEDULE:  # schedules are in the run history, not the audit log
        audit_record(action=AuditAction.RAN, obj=plan, run=run.pk, source=source)
    if enqueue:
        _enqueue_on_commit(run)
    return run


def run_plan_once(
    *,
    plan: Plan,
    idempotency_key: str,
    parameter_overrides: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[PlanRun, bool]:
    """`run_plan` at most once per `(plan, idempotency_key)`: -> (run, created).

    A repeated key returns the run it started (`created` False), so a client that retries
    after a timeout never starts a second run. Raises RunStateError when the key was used with
    other parameter overrides (a different request under the same key is a client bug).
    The unique constraint decides a race between two requests with one key.
    """
    overrides = parameter_overrides or {}
    existing = PlanRun.objects.filter(plan=plan, idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            run = run_plan(
                plan=plan,
                idempotency_key=idempotency_key,
                parameter_overrides=overrides,
                **fields,
            )
            return run, True
        except IntegrityError:
            existing = PlanRun.objects.filter(plan=plan, idempotency_key=idempotency_key).first()
            if existing is None:
                raise
    if existing.parameter_overrides != overrides:
        raise RunStateError(
            f"Idempotency-Key {idempotency_key!r} was already used for run #{existing.pk} "
            "with other parameterOverrides; use a new key for a different request."
        )
    return existing, False


@transaction.atomic
def run_cancel(*, run: PlanRun) -> PlanRun:
    """Cancel a queued or running run: pending jobs become canceled and the running job is
    stopped by its worker (which watches the run's status) and recorded as canceled.

    Raises RunStateError if the run has already ended.
    """
    if not state.run_end(run.pk, status=RunStatus.CANCELED, error="Canceled."):
        run.refresh_from_db()
        raise RunStateError(f"Run #{run.pk} has already ended ({run.status}).")
    state.jobs_cancel_pending(run.pk)
    run.refresh_from_db()
    audit_record(action=AuditAction.CANCELED, obj=run.plan, run=run.pk)
    return run


@transaction.atomic
def run_retry(
    *,
    run: PlanRun,
    requested_by: AbstractBaseUser | None = None,
    parameter_overrides: dict[str, Any] | None = None,
) -> PlanRun:
    """A new run against the original run's snapshot; jobs that succeeded are carried over.

    Carried-over jobs keep their results (so later tasks can still reference them); the failed
    tasks and everything after them run again. Raises RunStateError while the run is active,
    FeatureDisabled while plans are turned off.
    """
    require_plans_enabled()
    if run.status in ACTIVE_RUN_STATUSES:
        raise RunStateError(f"Run #{run.pk} is still {run.status}; retry it once it has ended.")
    _check_parameter_overrides(run.plan, parameter_overrides)
    overrides = dict(run.parameter_overrides)
    overrides.update(parameter_overrides or {})
    new = _create_run(
        plan=run.plan,
        snapshot=run.snapshot,
        source=RunSource.RETRY,
        requested_by=requested_by
        if requested_by is not None and requested_by.is_authenticated
        else None,
        retry_of=run,
        parameter_overrides=overrides,
    )
    old_jobs = list(run.jobs.all())
    rerun = _downstream_of(
        run.snapshot, {j.task_ref for j in old_jobs if j.status != JobStatus.SUCCEEDED}
    )
    succeeded = {
        j.position: j
        for j in old_jobs
        if j.status == JobStatus.SUCCEEDED and j.task_ref not in rerun
    }
    for job in new.jobs.all():
        old = succeeded.get(job.position)
        if old is not None:
            Job.objects.filter(pk=job.pk).update(
                status=JobStatus.SUCCEEDED,
                started_at=old.started_at,
                finished_at=old.finished_at,
                result={**old.result, "carriedOverFromJob": old.pk},
            )
    _enqueue_on_commit(new)
    audit_record(action=AuditAction.RETRIED, obj=run.plan, run=new.pk, retryOf=run.pk)
    return new


def _downstream_of(snapshot: dict[str, Any], refs: set[str]) -> set[str]:
    """`refs` and every task that depends on one of them, directly or transitively."""
    affected = set(refs)
    for task in snapshot["tasks"]:  # listed order is a valid execution order
        if any(up in affected for up in task["upstream"]):
            affected.add(task["ref"])
    return affected
