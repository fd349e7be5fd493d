from __future__ import annotations

from django.apps import AppConfig


class TasksEngineConfig(AppConfig):
    name = "tasks_engine"
    verbose_name = "Tasks engine"

    def ready(self) -> None:
        # The HTTP, Slack and Delete task types register themselves with plans.task_types.
        from tasks_engine import receivers, task_types  # noqa: F401
