"""Read-only admin for runs and jobs: history is written by the engine, never edited by hand.

The one change offered is the Cancel action, which goes through `runs.services.run_cancel`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from runs.models import Job, JobLogLine, PlanRun
from runs.services import RunStateError, run_cancel


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.action(description="Cancel selected runs")
def cancel_runs(
    modeladmin: PlanRunAdmin, request: HttpRequest, queryset: QuerySet[PlanRun]
) -> None:
    canceled, ended = 0, 0
    for run in queryset:
        try:
            run_cancel(run=run)
        except RunStateError:
            ended += 1
        else:
            canceled += 1
    modeladmin.message_user(request, f"Canceled {canceled} run(s).", messages.SUCCESS)
    if ended:
        modeladmin.message_user(
            request, f"{ended} run(s) had already ended and were left as they were.", messages.INFO
        )


@admin.register(PlanRun)
class PlanRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "plan", "status", "source", "created_at", "started_at", "finished_at")
    list_filter = ("status", "source", "late", "plan")
    list_select_related = ("plan",)
    search_fields = ("=id", "plan__name", "error")
    date_hierarchy = "created_at"
    actions = [cancel_runs]
    fields = (
        "plan", "status", "source", "requested_by", "trigger", "scheduled_for", "late",
        "retry_of", "created_at", "started_at", "finished_at", "error", "details_link",
        "snapshot_json",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Run details")
    def details_link(self, run: PlanRun) -> str:
        url = reverse("runs:detail", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="Snapshot")
    def snapshot_json(self, run: PlanRun) -> str:
        return _pretty_json(run.snapshot)


class JobLogLineInline(admin.TabularInline):
    model = JobLogLine
    fields = ("at", "level", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "task_name", "task_type", "status", "plan", "run", "created_at", "started_at",
        "finished_at",
    )  # fmt: skip
    list_filter = ("status", "task_type", "plan")
    list_select_related = ("plan",)
    search_fields = ("=id", "task_name", "task_ref", "error")
    date_hierarchy = "created_at"
    fields = (
        "run", "plan", "position", "task_name", "task_ref", "task_type", "status", "attempts",
        "worker", "created_at", "started_at", "finished_at", "heartbeat_at", "error",
        "details_link", "result_json",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [JobLogLineInline]

    @admin.display(description="Job details")
    def details_link(self, job: Job) -> str:
        url = reverse("runs:job", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="Result")
    def result_json(self, job: Job) -> str:
        return _pretty_json(job.result)
