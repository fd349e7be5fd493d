"""Beat's housekeeping schedules exist after migrating, named after the tasks they send."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from orchestration_site.celery import app
from scheduling.apps import SYSTEM_SCHEDULES

pytestmark = pytest.mark.django_db


def test_every_system_schedule_is_a_periodic_task_of_a_registered_celery_task() -> None:
    app.loader.import_default_modules()
    rows = {
        row.name: (row.task, row.interval.every, row.enabled)
        for row in PeriodicTask.objects.select_related("interval").exclude(
            name__startswith="plans.trigger:"
        )
    }

    assert rows == {task: (task, seconds, True) for task, seconds in SYSTEM_SCHEDULES}
    assert all(task in app.tasks for task, _ in SYSTEM_SCHEDULES)
