"""Editing flows in the admin: a flow with its parts inline, recipes with their steps inline.

Each inline row is checked with the engine's own parser (so the admin accepts exactly what the
engine runs); after saving, the whole flow is checked (`flows.specs.flow_problem`) and a problem
is shown as a warning and on the flow page, where Run flow is disabled until it is fixed.
Webhook secret keys are write-only and go through `services.webhook_set_secret`; plan overrides
through `services.plan_override_set`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from flows.engine import FlowError, ParameterSpec, StepSpec
from flows.engine.spec import _format_options
from flows.models import (
    MAX_WEBHOOKS_PER_FLOW,
    Dataset,
    Flow,
    FlowEmailNotification,
    FlowParameter,
    FlowWebhook,
    Output,
    Recipe,
    RecipeStep,
)
from flows.services import webhook_set_secret
from flows.specs import flow_problem


def _engine_check(form: forms.ModelForm, check: Any, field: str | None = None) -> None:
    try:
        check()
    except FlowError as error:
        form.add_error(field, error.message)


class ParameterForm(forms.ModelForm):
    class Meta:
        model = FlowParameter
        fields = ["name", "type", "default"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            _engine_check(
                self,
                lambda: ParameterSpec.from_dict(
                    {"name": data["name"], "type": data["type"], "value": data.get("default")}
                ),
            )
        return data


class FormatForm(forms.ModelForm):
    """Dataset and output rows: the format's options as the engine accepts them."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "format" in data:
            _engine_check(
                self, lambda: _format_options(data["format"], data.get("options"), "This row")
            )
        connection = data.get("connection")
        if connection is not None and connection.kind not in ("local", "s3"):
            self.add_error("connection", "Choose a local or S3 connection.")
        return data


class FlowConnectionsFormSet(BaseInlineFormSet):
    """Dataset and output rows may use only connections the flow's owner may use: runs read
    and write with the owner's access, while staff see every connection in this admin."""

    def clean(self) -> None:
        super().clean()
        flow = self.instance
        if not flow.owner_id:
            return  # the flow's own form reports the missing owner
        from connections.selectors import connections_visible_to

        usable = connections_visible_to(flow.owner)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            connection = data.get("connection")
            if data.get("DELETE") or connection is None:
                continue
            if not usable.filter(pk=connection.pk).exists():
                form.add_error("connection", "The flow's owner may not use this connection.")


class ParameterInline(admin.TabularInline):
    model = FlowParameter
    form = ParameterForm
    extra = 0


class DatasetInline(admin.TabularInline):
    model = Dataset
    form = FormatForm
    formset = FlowConnectionsFormSet
    fields = ["name", "connection", "path", "format", "options"]
    extra = 0


class RecipeInline(admin.TabularInline):
    model = Recipe
    fields = ["name", "source_kind", "source_name"]
    show_change_link = True
    extra = 0


class OutputInline(admin.TabularInline):
    model = Output
    form = FormatForm
    formset = FlowConnectionsFormSet
    fields = ["name", "recipe", "connection", "path", "format", "mode", "options"]
    extra = 0


class WebhookForm(forms.ModelForm):
    secret_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the current key.",
    )
    clear_secret = forms.BooleanField(required=False, label="Remove key")

    class Meta:
        model = FlowWebhook
        fields = [
            "name", "method", "url", "headers", "body", "notify_on", "all_outputs", "outputs",
            "retries", "timeout_seconds",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        from flows.notifications.webhooks import clean_webhook_fields

        data = super().clean()
        data["method"] = str(data.get("method") or "POST").upper()
        errors = clean_webhook_fields(
            url=data.get("url") or "",
            method=data["method"],
            headers=data.get("headers") or {},
            body=data.get("body") or "",
            retries=data.get("retries") or 0,
        )
        for name, messages_ in errors.items():
            for message in messages_:
                self.add_error(name if name in self.fields else None, message)
        return data


class WebhookInline(admin.StackedInline):
    model = FlowWebhook
    form = WebhookForm
    max_num = MAX_WEBHOOKS_PER_FLOW
    extra = 0


class EmailInline(admin.TabularInline):
    model = FlowEmailNotification
    extra = 0


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name", "description"]
    inlines = [
        ParameterInline,
        DatasetInline,
        RecipeInline,
        OutputInline,
        WebhookInline,
        EmailInline,
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"owner": request.user.pk}

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not FlowWebhook:
            return
        for row in formset.forms:
            if not hasattr(row, "cleaned_data") or row.instance.pk is None:
                continue
            if row.cleaned_data.get("DELETE"):
                continue
            if row.cleaned_data.get("clear_secret"):
                webhook_set_secret(webhook=row.instance, secret_key=None)
            elif row.cleaned_data.get("secret_key"):
                webhook_set_secret(webhook=row.instance, secret_key=row.cleaned_data["secret_key"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        problem = flow_problem(form.instance)
        if problem:
            messages.warning(request, f"Saved, but the flow cannot run yet: {problem}")


class StepForm(forms.ModelForm):
    class Meta:
        model = RecipeStep
        fields = ["position", "kind", "options"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        options = data.get("options") or {}
        if not isinstance(options, dict) or "kind" in options:
            self.add_error("options", "Give an object of the step's options (without kind).")
        elif "kind" in data:
            # The SQL checks too: the admin refuses what the engine would refuse at run time.
            what = f"Step {data.get('position')} ({data['kind']})"
            _engine_check(
                self, lambda: StepSpec.from_dict({"kind": data["kind"], **options}, what), "options"
            )
        return data


class StepInline(admin.TabularInline):
    model = RecipeStep
    form = StepForm
    extra = 0


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "flow", "source_kind", "source_name"]
    list_select_related = ["flow"]
    inlines = [StepInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        problem = flow_problem(form.instance.flow)
        if problem:
            messages.warning(request, f"Saved, but the flow cannot run yet: {problem}")
