"""`python manage.py sync_triggers`: repair drift between triggers and beat's periodic tasks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plans.triggers.beat import sync_all


class Command(BaseCommand):
    help = (
        "Create, update or delete django-celery-beat periodic tasks so that each active "
        "trigger has exactly one (plans.trigger:<id>). Safe to run any number of times."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sync_all()
        self.stdout.write(
            "Triggers synced: {created} created, {updated} updated, {deleted} deleted, "
            "{unchanged} unchanged.".format(**counts)
        )
