from __future__ import annotations

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self) -> None:
        # The beat sync follows plan deletion and the workspace's plans switch.
        from plans.triggers import receivers  # noqa: F401
