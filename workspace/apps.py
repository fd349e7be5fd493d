from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Workspace"

    def ready(self) -> None:
        # The per-request cache of the settings row opens and closes with each request.
        from workspace import selectors  # noqa: F401
