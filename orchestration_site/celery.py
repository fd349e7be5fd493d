"""The Celery app: `celery -A orchestration_site worker|beat` finds it here."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")

app = Celery("orchestration_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
