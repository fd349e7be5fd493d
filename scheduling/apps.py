from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Housekeeping beat sends besides the triggers: (task name, every N seconds).
SYSTEM_SCHEDULES = (
    ("tasks_engine.reap_runs", 30),
    ("scheduling.sweep_triggers", 60),
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


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Sent per app with models; scheduling has none, so follow beat's own tables.
        from django.apps import apps

        from scheduling import receivers  # noqa: F401

        post_migrate.connect(
            _ensure_system_schedules, sender=apps.get_app_config("django_celery_beat")
        )
