"""Connections: named credentials for Slack and storage, and the writes that manage them.

A connection has a `kind` (slack, s3, local), plain `settings` and secret fields. Secret values
are encrypted into `Secret` rows and the connection keeps only their ids; they are write-only:
in `connection_update`, a secret field that is absent keeps its value, `None` removes it and a
string replaces it. Nothing here ever returns a secret value except `connection_resolve`, which
only the worker calls while it executes a job.

Settings per kind:
- slack: `{}`; secrets `token` (a bot or user OAuth token, required).
- s3: `{"bucket", "prefix", "region", "endpointUrl"}` (bucket required); secrets `accessKeyId`
  and `secretAccessKey`, both or neither (without them boto3's own credential chain is used).
- local: `{"root"}`: a folder relative to the STORAGE_ROOT setting, never absolute or climbing
  out of it ("." is STORAGE_ROOT itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from connections.models import Connection, ConnectionKind, Secret
from connections.secrets import encrypt_secret
from connections.selectors import SECRET_FIELDS
from connections.storage.paths import PathEscapeError, clean_relative
from core.errors import FieldErrors, ServiceValidationError, add_error

SETTING_FIELDS: dict[str, tuple[str, ...]] = {
    ConnectionKind.SLACK: (),
    ConnectionKind.S3: ("bucket", "prefix", "region", "endpointUrl"),
    ConnectionKind.LOCAL: ("root",),
}
STORAGE_KINDS = (ConnectionKind.LOCAL, ConnectionKind.S3)
_UNSET: Any = object()


def _text(errors: FieldErrors, raw: Mapping[str, Any], name: str, *, max_length: int) -> str:
    value = raw.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        add_error(errors, f"settings.{name}", "Must be text.")
        return ""
    value = value.strip()
    if len(value) > max_length:
        add_error(errors, f"settings.{name}", f"At most {max_length} characters.")
    return value


def clean_settings(kind: str, raw: Any) -> tuple[dict[str, Any], FieldErrors]:
    """Validate and normalise the settings of a connection of `kind`; (clean, errors)."""
    errors: FieldErrors = {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return {}, {"settings": ["Must be an object."]}
    clean: dict[str, Any] = {}
    if kind == ConnectionKind.S3:
        clean["bucket"] = _text(errors, raw, "bucket", max_length=63)
        if not clean["bucket"] and "settings.bucket" not in errors:
            add_error(errors, "settings.bucket", "This field is required.")
        clean["prefix"] = _text(errors, raw, "prefix", max_length=1000).strip("/")
        clean["region"] = _text(errors, raw, "region", max_length=50)
        clean["endpointUrl"] = _text(errors, raw, "endpointUrl", max_length=500)
        if clean["endpointUrl"]:
            parsed = urlparse(clean["endpointUrl"])
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                add_error(errors, "settings.endpointUrl", "Enter an http:// or https:// URL.")
    elif kind == ConnectionKind.LOCAL:
        root = _text(errors, raw, "root", max_length=1000)
        if not root and "settings.root" not in errors:
            add_error(errors, "settings.root", "This field is required (use . for STORAGE_ROOT).")
        elif root:
            try:
                clean["root"] = clean_relative(root) or "."
            except PathEscapeError:
                add_error(
                    errors,
                    "settings.root",
                    "Give a folder relative to STORAGE_ROOT, without .. or a leading /.",
                )
    for name in sorted(set(raw) - set(SETTING_FIELDS.get(kind, ()))):
        add_error(errors, f"settings.{name}", "Unknown field.")
    return clean, errors


def _clean_secret_values(kind: str, raw: Any, errors: FieldErrors) -> dict[str, str | None]:
    """The secret changes asked for: field -> new value, or None to remove it.

    A field sent back in the shape answers show it (`{"set": true}`) is kept as it is."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        add_error(errors, "secrets", "Must be an object of secret fields.")
        return {}
    allowed = SECRET_FIELDS.get(kind, ())
    changes: dict[str, str | None] = {}
    for name, value in raw.items():
        if isinstance(value, Mapping) and name in allowed:
            continue  # `{"set": true}` sent back as read: keep the value
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            add_error(errors, f"secrets.{name}", f"Unknown secret field (known: {known}).")
        elif value is not None and (not isinstance(value, str) or not value.strip()):
            add_error(errors, f"secrets.{name}", "Must be non-empty text, or null to remove it.")
        else:
            changes[name] = value.strip() if isinstance(value, str) else None
    return changes


def _check_secret_set(kind: str, present: set[str], errors: FieldErrors) -> None:
    """Which secret fields must end up set, given the fields that will be set."""
    if kind == ConnectionKind.SLACK and "token" not in present:
        add_error(errors, "secrets.token", "A Slack connection needs a token.")
    if kind == ConnectionKind.S3 and len(present & {"accessKeyId", "secretAccessKey"}) == 1:
        missing = "secretAccessKey" if "accessKeyId" in present else "accessKeyId"
        add_error(errors, f"secrets.{missing}", "Set both access key fields, or neither.")


def _clean_name(name: Any, errors: FieldErrors, *, exclude_pk: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        add_error(errors, "name", "This field is required.")
        return ""
    name = name.strip()
    if len(name) > 200:
        add_error(errors, "name", "At most 200 characters.")
    taken = Connection.objects.filter(name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        add_error(errors, "name", "A connection with this name already exists.")
    return name


def secret_create(*, value: str) -> Secret:
    """Store `value` encrypted (the one way a secret is stored: tasks, connections, webhooks)."""
    return Secret.objects.create(ciphertext=encrypt_secret(value))


def _apply_secrets(current: Mapping[str, int], changes: Mapping[str, str | None]) -> dict[str, int]:
    """New field -> Secret id map; replaced and removed rows are deleted (no snapshot points
    at a connection's secrets: runs look the connection up when they execute)."""
    secrets = dict(current)
    stale: list[int] = []
    for name, value in changes.items():
        if name in secrets:
            stale.append(secrets.pop(name))
        if value is not None:
            secrets[name] = secret_create(value=value).pk
    if stale:
        Secret.objects.filter(pk__in=stale).delete()
    return secrets


@dataclass
class ConnectionInput:
    """A validated create or update: what to save, or `errors` naming every bad field."""

    name: str
    kind: str
    settings: dict[str, Any]
    secret_changes: dict[str, str | None]
    errors: FieldErrors


def connection_validate(
    *,
    connection: Connection | None = None,
    name: str | None = None,
    kind: str | None = None,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> ConnectionInput:
    """Check a create (`connection` None) or an update of `connection`, saving nothing.

    For an update, `None` arguments keep the field, `settings` replaces all settings, and in
    `secrets` an absent field keeps its value, `None` removes it and text replaces it. The kind
    of an existing connection cannot change. The admin form calls this to show errors.
    """
    errors: FieldErrors = {}
    if connection is None:
        clean_name = _clean_name(name, errors)
        if kind not in ConnectionKind.values:
            add_error(errors, "kind", f"Choose one of {', '.join(ConnectionKind.values)}.")
            return ConnectionInput(clean_name, str(kind), {}, {}, errors)
        the_kind = str(kind)
        current_settings: dict[str, Any] = {}
        current_secrets: set[str] = set()
    else:
        the_kind = connection.kind
        clean_name = (
            connection.name if name is None else _clean_name(name, errors, exclude_pk=connection.pk)
        )
        if kind is not None and kind != connection.kind:
            add_error(errors, "kind", "The kind of a connection cannot change; create a new one.")
        current_settings = dict(connection.settings)
        current_secrets = set(connection.secrets)
    clean = current_settings
    if settings is not None or connection is None:
        clean, setting_errors = clean_settings(the_kind, settings)
        errors.update(setting_errors)
    changes = _clean_secret_values(the_kind, secrets, errors)
    present = {k for k in current_secrets if changes.get(k, _UNSET) is not None}
    present |= {k for k, v in changes.items() if v is not None}
    _check_secret_set(the_kind, present, errors)
    return ConnectionInput(clean_name, the_kind, clean, changes, errors)


def _audit(action: str, connection: Connection) -> None:
    """Record a change: the connection's settings and which secret fields are set, no values."""
    kind, settings, secrets = connection.kind, connection.settings, sorted(connection.secrets)
    audit_record(action=action, obj=connection, kind=kind, settings=settings, secretFields=secrets)


@transaction.atomic
def connection_create(
    *,
    name: str,
    kind: str,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    owner: AbstractBaseUser | AnonymousUser | None = None,
) -> Connection:
    """Create a connection, encrypting its secrets. Raises ServiceValidationError naming
    every bad field; saves nothing then."""
    checked = connection_validate(name=name, kind=kind, settings=settings, secrets=secrets)
    if checked.errors:
        raise ServiceValidationError(checked.errors)
    connection = Connection.objects.create(
        name=checked.name,
        kind=checked.kind,
        settings=checked.settings,
        secrets=_apply_secrets({}, checked.secret_changes),
        owner=owner if owner is not None and owner.is_authenticated else None,
    )
    _audit(AuditAction.CREATED, connection)
    return connection


@transaction.atomic
def connection_update(
    *,
    connection: Connection,
    name: str | None = None,
    kind: str | None = None,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> Connection:
    """Change a connection; arguments as in `connection_validate`. Raises
    ServiceValidationError naming every bad field; saves nothing then."""
    checked = connection_validate(
        connection=connection, name=name, kind=kind, settings=settings, secrets=secrets
    )
    if checked.errors:
        raise ServiceValidationError(checked.errors)
    connection.name = checked.name
    connection.settings = checked.settings
    connection.secrets = _apply_secrets(connection.secrets, checked.secret_changes)
    connection.save(update_fields=["name", "settings", "secrets", "updated_at"])
    _audit(AuditAction.EDITED, connection)
    return connection


@transaction.atomic
def connection_delete(*, connection: Connection) -> None:
    """Delete a connection and its secret rows. Tasks that still name it fail when they run."""
    secret_ids = list(connection.secrets.values())
    _audit(AuditAction.DELETED, connection)
    connection.delete()
    Secret.objects.filter(pk__in=secret_ids).delete()
