from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Failed sign-ins are recorded by a receiver of Django's user_login_failed.
        from audit import receivers  # noqa: F401
