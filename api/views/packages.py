"""Plan packages: `GET /v4/plans/{id}/package` (export) and `POST /v4/plans/package` (import).

The format is in docs/export-format.md. Both answer 403 `feature_disabled` when the workspace
turns plans, or import and export, off.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework import exceptions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.permissions import PlansApiView
from api.serializers import PlanOutputSerializer
from packages.export import package_download
from packages.format import PackageError
from packages.importing import plan_import
from packages.reading import max_package_bytes, parse_json
from workspace.features import require_import_export_enabled

_UPLOAD_FIELDS = {"file", "secrets"}


def _invalid(errors: dict[str, list[str]]) -> exceptions.ValidationError:
    return exceptions.ValidationError(errors)


class PlanPackageExportApi(PlansApiView):
    """GET /v4/plans/{id}/package -> 200 application/zip (plan.json + flows/<key>.json)."""

    def get(self, request: Request, plan_id: int) -> HttpResponse:
        require_import_export_enabled()
        plan = selectors.plan_get(user=request.user, plan_id=plan_id)
        return package_download(plan, user=request.user)


class PlanPackageImportApi(PlansApiView):
    """POST /v4/plans/package -> 201 with the new plan (the shape of GET /v4/plans/{id}).

    The package comes as the multipart field `file` (with an optional `secrets` field: a JSON
    object of the paths in plan.json's `secretsRequired` to values), or as the whole body
    (`Content-Type: application/zip` or `application/json`). A bad package is a 400 naming
    the problem; nothing is saved then.
    """

    parser_classes = [MultiPartParser]

    def _upload(self, request: Request) -> tuple[bytes, Any]:
        limit = max_package_bytes()
        too_large = {"file": [f"The file is larger than the limit of {limit:,} bytes."]}
        if request.content_type.startswith("multipart/form-data"):
            unknown = sorted(set(request.data) - _UPLOAD_FIELDS)
            if unknown:
                raise _invalid({name: ["Unknown field."] for name in unknown})
            upload = request.data.get("file")
            if upload is None or isinstance(upload, str):
                raise _invalid({"file": ["Attach the package as the file field `file`."]})
            if upload.size > limit:
                raise _invalid(too_large)
            return upload.read(), self._secrets(request.data.get("secrets"))
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > limit:
            raise _invalid(too_large)
        stream = request.stream
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise _invalid(too_large)
        return data, None

    @staticmethod
    def _secrets(raw: Any) -> Any:
        if raw in (None, ""):
            return None
        try:
            value = parse_json(raw.encode(), "secrets") if isinstance(raw, str) else None
        except PackageError as error:
            raise _invalid(error.errors) from None
        if not isinstance(value, dict):
            raise _invalid({"secrets": ["Give a JSON object of secret paths to values."]})
        return value

    def post(self, request: Request) -> Response:
        require_import_export_enabled()
        data, secrets = self._upload(request)
        try:
            imported = plan_import(owner=request.user, data=data, secrets=secrets)
        except PackageError as error:
            raise _invalid(error.errors) from None
        plan = selectors.plan_get(user=request.user, plan_id=imported.plan.pk)
        return Response(PlanOutputSerializer(plan).data, status=status.HTTP_201_CREATED)
