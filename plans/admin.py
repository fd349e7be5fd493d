"""The plan editor: a plan with its tasks inline, saved only through `plans.services`.

Django's admin would save the plan row and each inline row itself; here `save_model` does
nothing and `save_related` hands the plan's fields and the whole validated task list to
`plan_create` / `plan_update`, so the admin cannot bypass the rules the API follows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from connections.resolve import resolve_secret
from notifications.forms import (
    FORM_FIELDS,
    PlanAdminForm,
    email_fields_changed,
    save_email_fields,
)
from notifications.models import PlanRunEmail
from plans.admin_sharing import PlanShareInline
from plans.admin_triggers import TriggerInline
from plans.forms import PlanTaskForm, PlanTaskFormSet
from plans.models import Plan, PlanTask
from plans.services import plan_create, plan_delete, plan_update
from plans.triggers.services import plan_schedule_update
from runs.models import RunSource
from runs.services import run_plan
from tasks_engine.http_test import http_test_request

# Plan fields saved by the schedule service (pausing has rules of its own: no catch-up).
_SCHEDULE_FIELDS = ("paused", "pause_reason", "overlap_policy")


class PlanTaskInline(admin.StackedInline):
    model = PlanTask
    form = PlanTaskForm
    formset = PlanTaskFormSet
    extra = 1
    ordering = ("position", "id")
    verbose_name = "task"
    fieldsets = (
        (None, {"fields": (("position", "name", "ref"), ("type", "run_when", "upstream_refs"))}),
        (
            "HTTP request",
            {
                "classes": ("task-config", "config-http"),
                "fields": (
                    ("http_method", "http_url"),
                    "http_headers",
                    "http_body",
                    ("http_timeout_seconds", "http_retries", "http_validate_ssl"),
                    "http_success_codes",
                    ("http_secret_key", "http_secret_key_remove"),
                    "test_button",
                ),
            },
        ),
        ("Config", {"classes": ("task-config", "config-other"), "fields": ("config_json",)}),
    )
    readonly_fields = ("test_button",)

    @admin.display(description="Test")
    def test_button(self, task: PlanTask) -> str:
        """Sends the saved request once (the change form's fields post along and are ignored)."""
        if task.pk is None or task.type != "http":
            return "Save the task to test it."
        url = reverse("admin:plans_plan_test_task", args=[task.plan_id, task.pk])
        return format_html(
            '<button type="submit" formaction="{}" formmethod="post" class="button">Send test request</button>'
            ' <span class="help">Sends the saved request once, with sample reference values; no run is made.</span>',
            url,
        )


@admin.action(description="Run now")
def run_now(modeladmin: PlanAdmin, request: HttpRequest, queryset: QuerySet[Plan]) -> Any:
    """Start a manual run of each selected plan; with one plan, go to its run details."""
    runs = [
        run_plan(plan=plan, source=RunSource.MANUAL, requested_by=request.user)
        for plan in queryset.order_by("name", "id")
    ]
    if len(runs) == 1:
        return HttpResponseRedirect(reverse("runs:detail", args=[runs[0].pk]))
    for run in runs:
        modeladmin.message_user(
            request,
            format_html(
                'Started <a href="{}">run #{}</a> of {}.',
                reverse("runs:detail", args=[run.pk]),
                run.pk,
                run.plan.name,
            ),
            messages.SUCCESS,
        )
    return None


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "task_count", "paused", "updated_at")
    list_filter = ("paused", "owner")
    search_fields = ("name", "description")
    form = PlanAdminForm
    # The tasks come right after the plan's name: the schedule settings share two lines and
    # the email lists are folded (Plan View has them too), which keeps a plan of 20 tasks
    # quick to load and to read (bench/admin_plan_page.py).
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "description",
                    ("owner", "overlap_policy"),
                    ("paused", "pause_reason"),
                )
            },
        ),
        (
            "Email notifications",
            {
                "classes": ("collapse",),
                "description": "Who is mailed when a run ends; also on the plan's page.",
                "fields": ("emails_enabled", *FORM_FIELDS.values()),
            },
        ),
    )
    inlines = [PlanTaskInline, TriggerInline, PlanShareInline]
    actions = [run_now]
    change_form_template = "admin/plans/plan/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        from django.db.models import Count

        return (
            super().get_queryset(request).select_related("owner").annotate(n_tasks=Count("tasks"))
        )

    @admin.display(description="Tasks", ordering="n_tasks")
    def task_count(self, plan: Plan) -> int:
        return getattr(plan, "n_tasks", 0)

    def get_inline_instances(self, request: HttpRequest, obj: Plan | None = None) -> list[Any]:
        # Sharing needs the plan's owner, so collaborators are added once the plan exists.
        inlines = super().get_inline_instances(request, obj)
        return [i for i in inlines if obj is not None or not isinstance(i, PlanShareInline)]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", request.user.pk)
        return initial

    def get_urls(self) -> list[URLPattern]:
        run_url = path(
            "<path:object_id>/run/",
            self.admin_site.admin_view(require_POST(self.run_view)),
            name="plans_plan_run",
        )
        test_url = path(
            "<path:object_id>/tasks/<int:task_id>/test/",
            self.admin_site.admin_view(require_POST(self.test_task_view)),
            name="plans_plan_test_task",
        )
        return [run_url, test_url, *super().get_urls()]

    def test_task_view(self, request: HttpRequest, object_id: str, task_id: int) -> HttpResponse:
        """The Test button of a saved HTTP task: send it once and show the answer; no run is made."""
        plan = self.get_object(request, unquote(object_id))
        if plan is None or not self.has_change_permission(request, plan):
            raise Http404("No such plan.")
        task = plan.tasks.filter(pk=task_id, type="http").first()
        if task is None:
            raise Http404("No such HTTP task in this plan.")
        secret_id = task.secrets.get("secretKey")
        outcome = http_test_request(
            task.config, secret=resolve_secret(secret_id) if secret_id else None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Test of {task.name}",
            "opts": self.model._meta,
            "original": plan,
            "task": task,
            "outcome": outcome,
        }
        return TemplateResponse(request, "admin/plans/plan/http_test.html", context)

    def run_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's Run now button: start a manual run, then show its run details."""
        plan = self.get_object(request, unquote(object_id))
        if plan is None:
            raise Http404("No such plan.")
        if not self.has_change_permission(request, plan):
            raise Http404("No such plan.")
        run = run_plan(plan=plan, source=RunSource.MANUAL, requested_by=request.user)
        return redirect("runs:detail", run_id=run.pk)

    def delete_model(self, request: HttpRequest, obj: Plan) -> None:
        plan_delete(plan=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        for plan in queryset:
            plan_delete(plan=plan)

    def save_model(self, request: HttpRequest, obj: Plan, form: ModelForm, change: bool) -> None:
        # The plan is saved together with its tasks by one service call in save_related.
        return

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseFormSet], change: bool
    ) -> None:
        task_formsets = [fs for fs in formsets if isinstance(fs, PlanTaskFormSet)]
        data = form.cleaned_data
        tasks = task_formsets[0].cleaned_tasks if task_formsets else None
        owner = data.get("owner") or request.user
        if change:
            # A fresh row: form.instance already carries the posted values, and the schedule
            # service decides what an unpause means by comparing with the stored state.
            plan = plan_update(
                plan=Plan.objects.get(pk=form.instance.pk),
                name=data["name"],
                description=data.get("description", ""),
                tasks=tasks,
                extra={"owner": owner},
            )
        else:
            plan = plan_create(
                owner=owner,
                name=data["name"],
                description=data.get("description", ""),
                tasks=tasks or [],
            )
        schedule = {name: data[name] for name in _SCHEDULE_FIELDS if name in data}
        if schedule:
            plan = plan_schedule_update(plan=plan, **schedule)
        if email_fields_changed(form):
            save_email_fields(form, plan=plan)
        # The admin goes on with form.instance (log entry, redirect): make it the saved row.
        form.instance.pk = plan.pk
        for field in Plan._meta.concrete_fields:
            setattr(form.instance, field.attname, getattr(plan, field.attname))
        form.instance._state.adding = False
        form.instance._state.db = plan._state.db
        for formset in formsets:
            if isinstance(formset, PlanTaskFormSet):
                # What construct_change_message reads; the service did the saving.
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            else:
                formset.instance = form.instance
                self.save_formset(request, form, formset, change=change)


@admin.register(PlanRunEmail)
class PlanRunEmailAdmin(admin.ModelAdmin):
    """Read-only: who was mailed about which run, and why a mail failed."""

    list_display = ("run", "address", "status", "attempts", "sent_at", "error")
    list_filter = ("status",)
    search_fields = ("address",)
    list_select_related = ("run",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Triggers are the interface to schedules; django-celery-beat's tables are their internal
# mirror (kept in step by plans.triggers.beat), so they leave the admin's sidebar.
for _beat_model in (
    PeriodicTask,
    IntervalSchedule,
    CrontabSchedule,
    SolarSchedule,
    ClockedSchedule,
):
    if admin.site.is_registered(_beat_model):
        admin.site.unregister(_beat_model)
