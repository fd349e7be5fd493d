from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self) -> None:
        # Trigger sync on plan deletion and the overlap queue listen to signals.
        from plans.triggers import receivers  # noqa: F401
