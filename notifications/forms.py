"""The email notification fields, shared by Plan View's form and the plan's admin page.

Addresses are typed one per line (commas and semicolons separate too); each bad one is named
on its field and nothing is saved. `save_email_fields` saves through the service.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from notifications.services import (
    LISTS,
    clean_recipients,
    plan_notifications_get,
    plan_notifications_update,
)
from plans.models import Plan

# API list name -> form field name (prefixed: the admin form also holds the plan's own fields).
FORM_FIELDS = {name: f"emails_{field_name}" for name, field_name in LISTS.items()}
_SEPARATORS = re.compile(r"[\s,;]+")
_HELP = "One address per line; anyone, with or without an account."


def _addresses_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
    )


class EmailFieldsMixin(forms.Form):
    """The switch and the three lists; `initial_email_fields(plan)` fills them."""

    emails_enabled = forms.BooleanField(
        label="Send email notifications when this plan runs", required=False
    )
    emails_on_success = _addresses_field("On success")
    emails_on_failure = _addresses_field("On failure")
    emails_on_any = _addresses_field("On any outcome (succeeded, failed or canceled)")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, form_field in FORM_FIELDS.items():
            if form_field not in data:
                continue
            typed = [a for a in _SEPARATORS.split(data[form_field] or "") if a]
            addresses, errors = clean_recipients(typed, path=name)
            for messages in errors.values():
                for message in messages:
                    self.add_error(form_field, message)
            data[form_field] = addresses
        return data


class PlanEmailsForm(EmailFieldsMixin):
    """Plan View's form."""


def initial_email_fields(plan: Plan | None) -> dict[str, Any]:
    if plan is None or plan.pk is None:
        return {}
    row = plan_notifications_get(plan)
    initial: dict[str, Any] = {"emails_enabled": row.enabled}
    for name, form_field in FORM_FIELDS.items():
        initial[form_field] = "\n".join(getattr(row, LISTS[name]))
    return initial


def email_fields_changed(form: forms.BaseForm) -> bool:
    return bool({"emails_enabled", *FORM_FIELDS.values()} & set(form.changed_data))


def save_email_fields(form: forms.BaseForm, *, plan: Plan) -> None:
    """Save a valid form's switch and lists (already cleaned to address lists)."""
    data = form.cleaned_data
    plan_notifications_update(
        plan=plan,
        enabled=data.get("emails_enabled", False),
        on_success=data.get(FORM_FIELDS["onSuccess"]),
        on_failure=data.get(FORM_FIELDS["onFailure"]),
        on_any=data.get(FORM_FIELDS["onAny"]),
    )


class PlanAdminForm(EmailFieldsMixin, forms.ModelForm):
    """The plan's admin form: the admin picks the plan fields; the email fields come with
    their current values. `PlanAdmin.save_related` saves them through the service."""

    class Meta:
        model = Plan
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in initial_email_fields(self.instance).items():
            self.initial.setdefault(key, value)
