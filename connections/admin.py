"""Admin for the tasks engine: connections, with write-only secret fields.

A secret is never shown: the change page says "•••• set" or "not set" next to a "replace"
field that starts empty, and a "remove" box. Saving goes through `connections.services`,
so the admin cannot bypass its rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from connections.models import Connection
from connections.selectors import SECRET_FIELDS
from connections.services import (
    connection_create,
    connection_delete,
    connection_update,
    connection_validate,
)

MASK = "••••"
ALL_SECRET_FIELDS = tuple(dict.fromkeys(f for fields in SECRET_FIELDS.values() for f in fields))
_KINDS_OF = {
    name: [kind for kind, fields in SECRET_FIELDS.items() if name in fields]
    for name in ALL_SECRET_FIELDS
}


def _replace_field(name: str) -> str:
    return f"replace_{name}"


def _remove_field(name: str) -> str:
    return f"remove_{name}"


def _secret_box() -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class ConnectionAdminForm(forms.ModelForm):
    """Name, kind, settings (JSON) and, per secret field, a replace box and a remove tick."""

    settings = forms.JSONField(
        required=False,
        initial=dict,
        help_text='S3: {"bucket", "prefix", "region", "endpointUrl"}; local: {"root"} '
        "relative to STORAGE_ROOT; Slack: {}.",
    )

    class Meta:
        model = Connection
        fields = ["name", "kind", "settings"]

    # One replace box and one remove tick per secret field of any kind; the admin shows those
    # of the connection's kind (see ConnectionAdmin.get_fields).
    replace_token = _secret_box()
    replace_accessKeyId = _secret_box()
    replace_secretAccessKey = _secret_box()
    remove_token = forms.BooleanField(required=False, label="Remove token")
    remove_accessKeyId = forms.BooleanField(required=False, label="Remove accessKeyId")
    remove_secretAccessKey = forms.BooleanField(required=False, label="Remove secretAccessKey")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = self.instance.pk is not None
        for name in ALL_SECRET_FIELDS:
            replace, remove = _replace_field(name), _remove_field(name)
            is_set = existing and name in self.instance.secrets
            if replace in self.fields:
                field = self.fields[replace]
                field.label = f"{name} ({MASK} set)" if is_set else f"{name} (not set)"
                field.help_text = (
                    "Type a new value to replace it; leave empty to keep it."
                    if is_set
                    else f"Write-only; used by {', '.join(_KINDS_OF[name])} connections."
                )
            if remove in self.fields and not is_set:
                del self.fields[remove]

    def secret_changes(self) -> dict[str, str | None]:
        """Field -> new value or None (remove), from the replace and remove boxes."""
        changes: dict[str, str | None] = {}
        for name in ALL_SECRET_FIELDS:
            value = self.cleaned_data.get(_replace_field(name))
            if value:
                changes[name] = value
            elif self.cleaned_data.get(_remove_field(name)):
                changes[name] = None
        return changes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind") if self.instance.pk is None else self.instance.kind
        if kind and not self.errors:
            changes = {
                k: v for k, v in self.secret_changes().items() if k in SECRET_FIELDS.get(kind, ())
            }
            checked = connection_validate(
                connection=self.instance if self.instance.pk is not None else None,
                name=cleaned.get("name"),
                kind=kind,
                settings=cleaned.get("settings") or {},
                secrets=changes,
            )
            self._map_errors(checked.errors)
            self.checked = checked
        return cleaned

    def _map_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            head, _, tail = path.partition(".")
            if head == "secrets" and _replace_field(tail) in self.fields:
                target: str | None = _replace_field(tail)
            elif head in ("name", "kind", "settings") and head in self.fields:
                target = head
            else:
                target = None
            for message in messages:
                self.add_error(target, f"{tail}: {message}" if head == "settings" else message)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ("name", "kind", "secrets_set", "owner", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)

    @admin.display(description="Secrets")
    def secrets_set(self, obj: Connection) -> str:
        names = SECRET_FIELDS.get(obj.kind, ())
        return ", ".join(f"{n}: {MASK} set" if n in obj.secrets else f"{n}: not set" for n in names)

    def get_fields(self, request: HttpRequest, obj: Connection | None = None) -> Any:
        if obj is None:
            return ["name", "kind", "settings", *map(_replace_field, ALL_SECRET_FIELDS)]
        names = SECRET_FIELDS.get(obj.kind, ())
        secret_boxes = [
            box
            for name in names
            for box in (
                (_replace_field(name), _remove_field(name))
                if name in obj.secrets
                else (_replace_field(name),)
            )
        ]
        return ["name", "kind", "settings", *secret_boxes]

    def get_readonly_fields(self, request: HttpRequest, obj: Connection | None = None) -> Any:
        # The kind cannot change: tasks using the connection expect it.
        return ("kind",) if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: Connection, form: ConnectionAdminForm, change: bool
    ) -> None:
        checked = form.checked
        if change:
            current = Connection.objects.get(pk=obj.pk)
            saved = connection_update(
                connection=current,
                name=checked.name,
                settings=checked.settings,
                secrets=checked.secret_changes,
            )
        else:
            saved = connection_create(
                name=checked.name,
                kind=checked.kind,
                settings=checked.settings,
                secrets=checked.secret_changes,
                owner=request.user,
            )
        # The admin goes on with `obj` (messages, redirects): make it the saved row.
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def delete_model(self, request: HttpRequest, obj: Connection) -> None:
        connection_delete(connection=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            connection_delete(connection=connection)
