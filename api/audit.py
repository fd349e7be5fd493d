"""The audit log: `GET /v4/auditEvents` (staff only; 403 `permission_denied` for anyone else).

Newest first, keyset paged like every list. Filters: `actorId`, `actor` (username as recorded),
`objectType` (`plans.plan`, `tasks_engine.connection`, `api.apitoken`, `auth.user`, ...),
`objectId`, `action`, `since` (inclusive) and `until` (exclusive), ISO 8601 times.
It stays available while plans are turned off in the workspace settings.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import MAX_ID, UtcDateTimeField
from api.pagination import list_body, paginate
from audit.models import AuditAction, AuditEvent
from audit.selectors import AuditFilters, audit_event_list


class IsStaff(BasePermission):
    message = "The audit log is for staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)


class AuditEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = UtcDateTimeField()
    action = serializers.CharField()
    actorId = serializers.IntegerField(source="actor_id", allow_null=True)
    actorName = serializers.CharField(source="actor_name")
    objectType = serializers.SerializerMethodField()
    objectId = serializers.IntegerField(source="object_id", allow_null=True)
    objectLabel = serializers.CharField(source="object_label")
    details = serializers.JSONField()
    ip = serializers.CharField(allow_null=True)

    def get_objectType(self, event: AuditEvent) -> str | None:
        return event.object_type_key or None


class AuditEventListApi(APIView):
    """GET /v4/auditEvents?actorId=&actor=&objectType=&objectId=&action=&since=&until=:
    events, newest first; one query per page whatever the filters."""

    permission_classes = [IsAuthenticated, IsStaff]

    class FilterSerializer(serializers.Serializer):
        actorId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        actor = serializers.CharField(required=False, max_length=150)
        objectType = serializers.RegexField(
            r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+$", required=False, max_length=200
        )
        objectId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        action = serializers.ChoiceField(choices=AuditAction.values, required=False)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        events = audit_event_list(
            AuditFilters(
                actor_id=data.get("actorId"),
                actor=data.get("actor"),
                object_type=data.get("objectType"),
                object_id=data.get("objectId"),
                action=data.get("action"),
                since=data.get("since"),
                until=data.get("until"),
            )
        )
        page = paginate(request, events, newest_first=True)
        return Response(list_body(AuditEventOutputSerializer(page.items, many=True).data, page))
