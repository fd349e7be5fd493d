from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Mails follow run_finished, and plan shares add or remove collaborators.
        from notifications import receivers  # noqa: F401
