from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Housekeeping beat runs besides the triggers: (task name, every N seconds).
SYSTEM_SCHEDULES = (
    ("plans.reap_runs", 30),
    ("plans.sweep_triggers", 60),
    ("audit.purge_expired", 3600),
)


def _ensure_system_schedules(**kwargs: Any) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for task, seconds in SYSTEM_SCHEDULES:
        every, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.update_or_create(
            name=task, defaults={"task": task, "interval": every, "enabled": True}
        )


class TasksEngineConfig(AppConfig):
    name = "tasks_engine"
    verbose_name = "Tasks engine"

    def ready(self) -> None:
        post_migrate.connect(_ensure_system_schedules, sender=self)
