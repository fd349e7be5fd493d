from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self) -> None:
        # Trigger sync on plan deletion, the overlap queue and plan emails listen to signals.
        from plans.notifications import receivers as email_receivers  # noqa: F401
        from plans.triggers import receivers  # noqa: F401
