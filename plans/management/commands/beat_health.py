"""`manage.py beat_health`: exit 1 unless beat has scheduled the reaper in the last two minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


class Command(BaseCommand):
    help = "Health check for the beat container."

    def handle(self, *args: Any, **options: Any) -> None:
        task = PeriodicTask.objects.filter(name="tasks_engine.reap_runs").first()
        if task is None or task.last_run_at is None:
            raise CommandError("beat has not run the reaper yet")
        age = timezone.now() - task.last_run_at
        if age > timedelta(minutes=2):
            raise CommandError(f"beat last ran the reaper {age.total_seconds():.0f} s ago")
        self.stdout.write("ok")
