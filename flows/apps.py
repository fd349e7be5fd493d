from __future__ import annotations

from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flows"

    def ready(self) -> None:
        # The flow task type and the "flow" resource kind register themselves.
        from flows import task_type  # noqa: F401
