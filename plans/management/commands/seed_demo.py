"""`manage.py seed_demo`: a demo admin and a demo plan, so a newcomer sees a run right away.

Safe to run at every start: it creates what is missing and changes nothing that exists.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from plans.models import Plan
from plans.services import plan_create
from runs.services import run_plan

DEMO_PLAN = "Demo: check the service and report"


class Command(BaseCommand):
    help = "Create a demo admin user and a demo plan (once), and queue a first run."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            password = secrets.token_urlsafe(9)
            admin = User.objects.create_superuser("admin", "admin@localhost", password)
            self.stdout.write(self.style.SUCCESS(f"Demo login: admin / {password}  (shown once)"))
        else:
            self.stdout.write("Demo login: admin (password as printed when it was created)")
        if Plan.objects.filter(name=DEMO_PLAN).exists():
            return
        site = settings.SITE_URL
        plan = plan_create(
            owner=admin,
            name=DEMO_PLAN,
            description="Calls this service's health endpoint, then reports the result to it.",
            tasks=[
                {
                    "name": "Check health",
                    "ref": "check",
                    "type": "http",
                    "config": {
                        "method": "GET",
                        "url": f"{site}/health/",
                        "timeoutSeconds": 10,
                        "retries": 2,
                    },
                },
                {
                    "name": "Report status",
                    "ref": "report",
                    "type": "http",
                    "config": {
                        "method": "POST",
                        "url": f"{site}/health/?run={{{{$plan.runId}}}}",
                        "headers": {"Content-Type": "application/json"},
                        "body": '{"plan": {{$plan.name|json}}, "check": {{$check.statusCode}}}',
                    },
                },
            ],
        )
        run = run_plan(plan=plan, source="manual", requested_by=admin)
        self.stdout.write(
            self.style.SUCCESS(f"Demo plan created; its first run is queued: {site}/runs/{run.pk}/")
        )
