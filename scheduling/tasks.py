"""Celery tasks of scheduling: thin adapters taking ids (autodiscovered by the Celery app)."""

from __future__ import annotations

from celery import shared_task

from scheduling import firing


@shared_task(name="scheduling.fire_trigger", acks_late=True, ignore_result=True)
def fire_trigger(trigger_id: int) -> None:
    """One beat message for a trigger: start the run for its current slot, at most once.

    The run's first job executes in this task (see `firing.fire_trigger`'s
    `run_first_job_here`), so the task lasts as long as that job.
    """
    firing.fire_trigger(trigger_id, run_first_job_here=True)


@shared_task(name="scheduling.sweep_triggers", ignore_result=True)
def sweep_triggers() -> None:
    """Every minute: fire slots beat missed (see `scheduling.sweeper`)."""
    from scheduling.sweeper import sweep

    sweep()
