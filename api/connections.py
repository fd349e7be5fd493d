"""Connections: `GET/POST /v4/connections`, `GET/PATCH/DELETE /v4/connections/{id}`.

Body and answer: `{"id", "name", "kind", "settings": {...}, "secrets": {...}}`. `secrets` is
write-only: a request sends values (`{"token": "xoxb-..."}`; in PATCH an absent field keeps its
value and `null` removes it), and every answer shows only whether each secret field of the kind
is set: `{"token": {"set": true}}`. A user sees and changes the connections they own; staff see
all of them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import RawJSONField, UtcDateTimeField
from api.pagination import list_body, paginate
from api.serializers import StrictInputSerializer
from connections.models import Connection
from connections.selectors import connections_visible_to, secret_status
from connections.services import connection_create, connection_delete, connection_update
from core.errors import ServiceValidationError

_OUTPUT_ONLY = ("id", "createdAt", "updatedAt")


def connection_visible_list(*, user: Any) -> QuerySet[Connection]:
    """The connections `user` may see: their own; staff see every connection."""
    return connections_visible_to(user)


def connection_get(*, user: Any, connection_id: int) -> Connection:
    """The connection, or Http404 when it does not exist or `user` may not see it."""
    row = connection_visible_list(user=user).filter(pk=connection_id).first()
    if row is None:
        raise Http404
    return row


class ConnectionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    settings = serializers.JSONField()
    secrets = serializers.SerializerMethodField()
    createdAt = UtcDateTimeField(source="created_at")
    updatedAt = UtcDateTimeField(source="updated_at")

    def get_secrets(self, connection: Connection) -> dict[str, dict[str, bool]]:
        return secret_status(connection)


def _validation_error(exc: ServiceValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.errors)


class ConnectionListApi(APIView):
    """GET /v4/connections: the user's connections (staff: all), by id."""

    def get(self, request: Request) -> Response:
        page = paginate(request, connection_visible_list(user=request.user), newest_first=False)
        return Response(list_body(ConnectionOutputSerializer(page.items, many=True).data, page))


class ConnectionCreateApi(APIView):
    """POST /v4/connections -> 201 with the connection; 400 naming each bad field."""

    class InputSerializer(StrictInputSerializer):
        ignored_fields = _OUTPUT_ONLY
        # Checked by the service, which names every bad field in one answer.
        name = RawJSONField()
        kind = RawJSONField()
        settings = RawJSONField(required=False, default=dict)
        secrets = RawJSONField(required=False, default=dict)

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            connection = connection_create(owner=request.user, **serializer.validated_data)
        except ServiceValidationError as exc:
            raise _validation_error(exc) from None
        return Response(ConnectionOutputSerializer(connection).data, status=status.HTTP_201_CREATED)


class ConnectionDetailApi(APIView):
    """GET /v4/connections/{id}; 404 if the user may not see it."""

    def get(self, request: Request, connection_id: int) -> Response:
        connection = connection_get(user=request.user, connection_id=connection_id)
        return Response(ConnectionOutputSerializer(connection).data)


class ConnectionUpdateApi(APIView):
    """PATCH /v4/connections/{id}: change the given fields. `settings` replaces the settings;
    in `secrets` an absent field is kept, `null` removes it, text replaces it. The kind cannot
    change."""

    class InputSerializer(StrictInputSerializer):
        ignored_fields = _OUTPUT_ONLY
        name = RawJSONField(required=False)
        kind = RawJSONField(required=False)
        settings = RawJSONField(required=False)
        secrets = RawJSONField(required=False)

    def patch(self, request: Request, connection_id: int) -> Response:
        connection = connection_get(user=request.user, connection_id=connection_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            connection = connection_update(connection=connection, **serializer.validated_data)
        except ServiceValidationError as exc:
            raise _validation_error(exc) from None
        return Response(ConnectionOutputSerializer(connection).data)


class ConnectionDeleteApi(APIView):
    """DELETE /v4/connections/{id} -> 204. Tasks still using it fail clearly when they run."""

    def delete(self, request: Request, connection_id: int) -> Response:
        connection = connection_get(user=request.user, connection_id=connection_id)
        connection_delete(connection=connection)
        return Response(status=status.HTTP_204_NO_CONTENT)
