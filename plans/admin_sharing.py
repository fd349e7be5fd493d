"""Collaborators on the plan's change page, saved through the sharing services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from plans.admin_triggers import OptionalInlineFormSet
from plans.models import PlanShare
from plans.services import ShareInvitation, plan_share, plan_unshare, share_grants
from workspace.features import SHARING_OFF
from workspace.selectors import get_workspace_settings


class PlanShareFormSet(OptionalInlineFormSet):
    """Validates with the same rules as the API (`share_grants`) and saves with `plan_share` /
    `plan_unshare`, never through the ORM."""

    def _invitation(self, form: forms.Form) -> ShareInvitation:
        user = form.cleaned_data["user"]
        return ShareInvitation(
            who=user.get_username(), role=form.cleaned_data["role"], by="username"
        )

    def _granting(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if form.has_changed()
            and form.cleaned_data.get("user") is not None
            and not self._should_delete_form(form)
        ]

    def clean(self) -> None:
        super().clean()
        granting = self._granting()
        if granting and not get_workspace_settings().sharing_enabled:
            raise ValidationError(SHARING_OFF)
        for form in granting:
            _, errors = share_grants(plan=self.instance, invitations=[self._invitation(form)])
            for problems in errors.values():
                for problem in problems:
                    form.add_error("user", problem)

    # Set per request by PlanShareInline.get_formset: recorded as the shares' `created_by`.
    shared_by: Any = None

    def save(self, commit: bool = True) -> list[PlanShare]:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            removed = self._should_delete_form(form)
            # A row whose user was changed hands the share over: the old user's share goes.
            if removed or (form.has_changed() and "user" in form.changed_data):
                plan_unshare(plan=self.instance, user_id=form.initial["user"])
            if removed:
                self.deleted_objects.append(form.instance)
        granting = self._granting()
        if not granting:
            return []
        shares = plan_share(
            plan=self.instance,
            invitations=[self._invitation(form) for form in granting],
            shared_by=self.shared_by,
        )
        self.new_objects = shares
        return shares


class PlanShareInline(admin.TabularInline):
    """Who the plan is shared with (only on an existing plan: the owner must be known)."""

    model = PlanShare
    formset = PlanShareFormSet
    fk_name = "plan"
    extra = 0
    fields = ("user", "role", "created_at", "created_by")
    readonly_fields = ("created_at", "created_by")
    verbose_name = "collaborator"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.shared_by = request.user
        return formset
