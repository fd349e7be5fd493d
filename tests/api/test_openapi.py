"""`GET /v4/open-api-spec`: a valid OpenAPI 3 document listing exactly the operations that
docs/api.md documents, so neither the docs nor the spec can miss an endpoint."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
_OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) ([^`\s]+)`")


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0]).rstrip("/")


def documented_operations() -> set[tuple[str, str]]:
    """(method, path) of each row of docs/api.md's endpoint tables; "…" repeats the row's path."""
    found: set[tuple[str, str]] = set()
    for line in DOCS.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        path = ""
        for method, given in _OPERATION.findall(first_cell):
            path = path if given == "…" else given
            found.add((method.lower(), _normal(path)))
    return found


def test_the_spec_is_valid_openapi_and_needs_no_token() -> None:
    response = APIClient().get("/v4/open-api-spec")

    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    validate(spec)
    run = spec["paths"]["/v4/plans/{plan_id}/run"]["post"]
    assert run["operationId"] == "PlanRunApi"
    assert run["parameters"][0] == {
        "name": "plan_id", "in": "path", "required": True, "schema": {"type": "integer"}
    }  # fmt: skip
    assert "Idempotency-Key" in run["description"]
    assert spec["paths"]["/v4/auditEvents"]["get"]["operationId"] == "AuditEventListApi"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_spec_and_docs_api_md_list_the_same_operations() -> None:
    spec = APIClient().get("/v4/open-api-spec").json()
    served = {(method, _normal(path)) for path, item in spec["paths"].items() for method in item}

    documented = documented_operations()

    assert served - documented == set(), "served but not in docs/api.md"
    assert documented - served == set(), "in docs/api.md but not served"
    assert len(served) > 30
