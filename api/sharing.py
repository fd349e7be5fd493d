"""Sharing a plan: `GET/POST /v4/plans/{id}/permissions`, `DELETE …/permissions/{subjectId}`.

An entry: `{"subjectId": <user id>, "username", "email", "role": "owner|editor|viewer"}`; the
list starts with the owner. Only the plan's owner and staff see or change the list (a
collaborator's own role is the plan's `role`). Sharing while it is turned off in the workspace
settings answers 403 `feature_disabled`; listing and removing still work, so access can always
be taken back.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.fields import StrictCharField
from api.pagination import list_body, paginate
from api.permissions import PlansApiView
from api.serializers import StrictInputSerializer
from plans.access import Capability, Role, access_plan
from plans.models import ShareRole
from plans.selectors import plan_collaborators
from plans.services import ShareInvitation, plan_share, plan_unshare

MAX_INVITATIONS = 100


def permission_json(user: AbstractBaseUser, role: str) -> dict[str, Any]:
    return {
        "subjectId": user.pk,
        "username": user.get_username(),
        "email": getattr(user, "email", ""),
        "role": role,
    }


class _InvitationSerializer(StrictInputSerializer):
    """One person: `email` or `username` (exactly one), and `role` (default viewer)."""

    email = StrictCharField(required=False, max_length=254)
    username = StrictCharField(required=False, max_length=150)
    role = serializers.ChoiceField(choices=ShareRole.values, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("email" in attrs) == ("username" in attrs):
            raise serializers.ValidationError({"email": ["Give either an email or a username."]})
        return attrs


class PermissionListApi(PlansApiView):
    """GET /v4/plans/{id}/permissions: the owner, then each collaborator (oldest share first)."""

    def get(self, request: Request, plan_id: int) -> Response:
        plan = access_plan(request.user, plan_id, Capability.MANAGE)
        page = paginate(request, plan_collaborators(plan), newest_first=False)
        data = [permission_json(share.user, share.role) for share in page.items]
        if "cursor" not in request.query_params:
            data.insert(0, permission_json(plan.owner, Role.OWNER.value))
        return Response(list_body(data, page))


class PermissionCreateApi(PlansApiView):
    """POST /v4/plans/{id}/permissions -> 201 `{"data": [the entries made or changed]}`.

    Body: `{"email" | "username", "role"}` or `{"data": [such objects]}`. Someone who already
    has a share gets the new role. An unknown user is a 400 naming them; nothing is saved then.
    """

    class InputSerializer(_InvitationSerializer):
        data = serializers.ListField(
            child=_InvitationSerializer(), required=False, max_length=MAX_INVITATIONS
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "data" in attrs:
                if set(attrs) - {"data"}:
                    raise serializers.ValidationError(
                        {"data": ["Send either one person or a `data` list, not both."]}
                    )
                if not attrs["data"]:
                    raise serializers.ValidationError({"data": ["Name at least one person."]})
                return attrs
            return super().validate(attrs)

    def post(self, request: Request, plan_id: int) -> Response:
        plan = access_plan(request.user, plan_id, Capability.MANAGE)
        serializer = self.InputSerializer(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        listed = "data" in body
        invitations = []
        for index, entry in enumerate(body["data"] if listed else [body]):
            by = "email" if "email" in entry else "username"
            invitations.append(
                ShareInvitation(
                    who=entry[by],
                    role=entry.get("role", ShareRole.VIEWER),
                    by=by,
                    # Errors name the entry as the client sent it: `email` or `data[2].email`.
                    field=f"data[{index}].{by}" if listed else by,
                )
            )
        shares = plan_share(plan=plan, invitations=invitations, shared_by=request.user)
        data = [permission_json(share.user, share.role) for share in shares]
        return Response({"data": data}, status=status.HTTP_201_CREATED)


class PermissionDeleteApi(PlansApiView):
    """DELETE /v4/plans/{id}/permissions/{subjectId} -> 204; 404 if that user has no share."""

    def delete(self, request: Request, plan_id: int, subject_id: int) -> Response:
        plan = access_plan(request.user, plan_id, Capability.MANAGE)
        if subject_id == plan.owner_id:
            raise serializers.ValidationError(
                {"subjectId": ["The owner's access cannot be removed."]}
            )
        if not plan_unshare(plan=plan, user_id=subject_id):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
