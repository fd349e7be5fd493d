from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_reaper_schedule(**kwargs: Any) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=30, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="plans.reap_runs",
        defaults={"task": "plans.reap_runs", "interval": every, "enabled": True},
    )


class TasksEngineConfig(AppConfig):
    name = "tasks_engine"
    verbose_name = "Tasks engine"

    def ready(self) -> None:
        post_migrate.connect(_ensure_reaper_schedule, sender=self)
