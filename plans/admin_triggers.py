"""The plan editor's trigger inline: triggers validated by `validate_spec` and saved only
through `plans.triggers.services` (so the admin keeps the beat sync and the no-catch-up rules).

Date and time fields are read and shown as local time in the trigger's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.utils import timezone

from plans.models import Trigger
from plans.schedules import ScheduleSpec, describe, validate_spec
from plans.schedules.wallclock import UnknownZoneError, get_zone
from plans.triggers.selectors import trigger_next_fire_times, trigger_spec
from plans.triggers.services import localize, trigger_create, trigger_delete, trigger_update

_TIME_FIELDS = ("run_at", "start_at", "end_at")
# validate_spec's API names -> form fields.
_FORM_FIELD = {
    "kind": "kind",
    "cron": "cron",
    "timezone": "timezone",
    "every": "every",
    "unit": "unit",
    "runAt": "run_at",
    "startAt": "start_at",
    "endAt": "end_at",
}
_DAWN_OF_TIME = datetime.min.replace(tzinfo=UTC)
_SERVICE_FIELDS = ("name", "enabled", "kind", "cron", "every", "unit", *_TIME_FIELDS)


class TriggerForm(forms.ModelForm):
    class Meta:
        model = Trigger
        fields = ("name", "enabled", "kind", "cron", "every", "unit", "timezone", *_TIME_FIELDS)
        help_texts = {
            "cron": "5 fields: minute hour day-of-month month day-of-week, e.g. 0 6 * * 1-5.",
            "timezone": "IANA name, e.g. Europe/Paris. Dates and times below are in this zone.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Shown as wall time in the trigger's zone (the admin would show UTC).
            try:
                zone = get_zone(self.instance.timezone)
            except UnknownZoneError:
                zone = None
            for name in _TIME_FIELDS:
                value = getattr(self.instance, name)
                if value is not None and zone is not None:
                    self.initial[name] = value.astimezone(zone).replace(tzinfo=None)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.cleaned_data.get("DELETE"):
            return data
        zone_name = data.get("timezone") or "UTC"
        for name in _TIME_FIELDS:
            value: datetime | None = data.get(name)
            if value is not None:
                # Django read the input in the current zone (UTC); keep the wall time entered.
                wall = timezone.make_naive(value, timezone.get_current_timezone())
                data[name] = localize(wall, zone_name)
        spec = ScheduleSpec(
            kind=data.get("kind") or "",
            timezone=zone_name,
            cron=data.get("cron") or None,
            every=data.get("every"),
            unit=data.get("unit") or None,
            run_at=data.get("run_at"),
            start_at=data.get("start_at"),
            end_at=data.get("end_at"),
        )
        run_at_changed = "run_at" in self.changed_data or "kind" in self.changed_data
        # Refuse a `once` time in the past only when it is being set (renaming is fine).
        now = timezone.now() if (not self.instance.pk or run_at_changed) else _DAWN_OF_TIME
        for key, messages in validate_spec(spec, now=now).items():
            field = _FORM_FIELD.get(key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data


def save_trigger_form(form: TriggerForm, *, plan: Any) -> Trigger | None:
    """Create or update the trigger of a valid TriggerForm through the services.

    An existing trigger gets only the fields that changed (a fired `once` trigger can still be
    renamed); returns None when nothing changed.
    """
    data = form.cleaned_data
    values = {name: data.get(name) for name in _SERVICE_FIELDS}
    values["cron"] = values["cron"] or ""
    values["unit"] = values["unit"] or ""
    values["timezone_name"] = data.get("timezone") or "UTC"
    if form.instance.pk:
        if not form.has_changed():
            return None
        changed = {
            key: value
            for key, value in values.items()
            if ("timezone" if key == "timezone_name" else key) in form.changed_data
        }
        return trigger_update(trigger=form.instance, **changed)
    return trigger_create(plan=plan, **values)


class OptionalInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset that a POST may leave out: without its management form (a client that
    only edits the plan and its tasks) it reads as "no forms", leaving its rows as they are."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data[f"{prefix}-TOTAL_FORMS"] = "0"
            data[f"{prefix}-INITIAL_FORMS"] = "0"
        super().__init__(data, *args, **kwargs)


class TriggerFormSet(OptionalInlineFormSet):
    """Saves through the trigger services; never through the ORM."""

    def save(self, commit: bool = True) -> list[Trigger]:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        saved: list[Trigger] = []
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if form.instance.pk and self.can_delete and self._should_delete_form(form):
                trigger_delete(trigger=form.instance)
                self.deleted_objects.append(form.instance)
                continue
            is_new = not form.instance.pk
            trigger = save_trigger_form(form, plan=self.instance)
            if trigger is None:
                continue
            if is_new:
                self.new_objects.append(trigger)
            else:
                self.changed_objects.append((trigger, form.changed_data))
            saved.append(trigger)
        return saved


class TriggerInline(admin.StackedInline):
    """Triggers on the plan's change page, each with its schedule in words and next fire times."""

    model = Trigger
    form = TriggerForm
    formset = TriggerFormSet
    extra = 0
    ordering = ("id",)
    readonly_fields = ("in_words", "next_fire_times")
    fieldsets = (
        (None, {"fields": (("name", "enabled"), ("kind", "timezone"))}),
        (None, {"fields": ("cron", ("every", "unit"), "run_at", ("start_at", "end_at"))}),
        (None, {"fields": ("in_words", "next_fire_times")}),
    )

    @admin.display(description="Schedule")
    def in_words(self, trigger: Trigger) -> str:
        return describe(trigger_spec(trigger)) if trigger.pk else ""

    @admin.display(description="Next fire times")
    def next_fire_times(self, trigger: Trigger) -> str:
        if not trigger.pk:
            return ""
        return ", ".join(f"{t:%Y-%m-%d %H:%M:%S %Z}" for t in trigger_next_fire_times(trigger))
