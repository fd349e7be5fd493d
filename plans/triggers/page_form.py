"""The trigger form of Plan View's pages: the admin's `TriggerForm` (same fields and rules)
with native date-time pickers, a searchable list of IANA zones, and its fields grouped by the
kinds that use them so the page shows only the chosen kind's."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms

from plans.admin_triggers import TriggerForm

# The <input type="datetime-local"> format, and what it sends (with or without seconds).
PICKER_FORMAT = "%Y-%m-%dT%H:%M"
PICKER_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ZONE_LIST_ID = "iana-zones"

# Which kinds show a field; fields not named here are shown for every kind.
FIELD_KINDS = {
    "cron": ("cron",),
    "every": ("interval",),
    "unit": ("interval",),
    "run_at": ("once",),
    "start_at": ("cron", "interval"),
    "end_at": ("cron", "interval"),
}
TIME_FIELDS = ("run_at", "start_at", "end_at")


@cache
def iana_zones() -> list[str]:
    """Every IANA zone name this machine knows, A to Z (UTC first)."""
    names = sorted(zoneinfo.available_timezones() - {"UTC", "localtime", "Factory"})
    return ["UTC", *names]


class TriggerPageForm(TriggerForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in TIME_FIELDS:
            field = self.fields[name]
            field.widget = forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=PICKER_FORMAT
            )
            field.input_formats = PICKER_INPUTS
        self.fields["timezone"].widget = forms.TextInput(
            attrs={
                "list": ZONE_LIST_ID,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Start typing: Europe/Paris, America/New_York, UTC…",
            }
        )
        self.fields["cron"].widget.attrs.setdefault("placeholder", "0 6 * * 1-5")
        self.fields["cron"].widget.attrs.setdefault("spellcheck", "false")

    @property
    def chosen_kind(self) -> str:
        """The kind the page shows fields for: the posted one, else the trigger's, else cron."""
        value = self["kind"].value()
        return str(value or "cron")

    def field_groups(self) -> list[tuple[Any, str, bool]]:
        """(bound field, the kinds that use it as `data-kinds` or "", hidden now) in order."""
        groups = []
        for bound in self:
            kinds = FIELD_KINDS.get(bound.name)
            groups.append(
                (
                    bound,
                    " ".join(kinds) if kinds else "",
                    bool(kinds) and self.chosen_kind not in kinds,
                )
            )
        return groups

    @property
    def zone_name(self) -> str:
        return str(self["timezone"].value() or "UTC")
