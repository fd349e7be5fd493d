from __future__ import annotations

from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "packages"
    verbose_name = "Plan packages (export and import)"
