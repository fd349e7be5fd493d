"""Reads of connections: who may use which, and the only shape in which secrets leave."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from connections.models import Connection

SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "slack": ("token",),
    "s3": ("accessKeyId", "secretAccessKey"),
    "local": (),
}


def connections_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Connection]:
    """The connections `user` may see and use: their own; staff every one; anonymous none."""
    if not user.is_authenticated:
        return Connection.objects.none()
    rows = Connection.objects.all()
    return rows if user.is_staff else rows.filter(owner=user)


def secret_status(connection: Connection) -> dict[str, dict[str, bool]]:
    """Which secret fields of the connection's kind are set: `{"token": {"set": True}}`.

    This is the only shape in which secrets leave the server (API and admin)."""
    return {
        name: {"set": name in connection.secrets} for name in SECRET_FIELDS.get(connection.kind, ())
    }
