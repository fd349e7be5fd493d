"""Bearer tokens: the 401 shape, and tokens made by `create_api_token`."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from api.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/v4/plans"),
    ("post", "/v4/plans"),
    ("get", "/v4/plans/1"),
    ("patch", "/v4/plans/1"),
    ("delete", "/v4/plans/1"),
    ("post", "/v4/plans/1/run"),
    ("get", "/v4/planSnapshotRuns?planId=1"),
    ("get", "/v4/planSnapshotRuns/1"),
    ("post", "/v4/planSnapshotRuns/1/cancel"),
    ("post", "/v4/planSnapshotRuns/1/retry"),
    ("get", "/v4/jobs"),
    ("get", "/v4/jobs/1"),
]


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_it_answers_401_with_bearer_challenge_without_a_token(method: str, url: str) -> None:
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert_unauthorized(response)
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_answers_401_for_an_unknown_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer plans_not-a-real-token")
    response = client.get("/v4/plans")
    assert_unauthorized(response)
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_answers_401_for_a_malformed_authorization_header() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token abc")
    assert_unauthorized(client.get("/v4/plans"))


def test_it_answers_401_for_a_token_of_an_inactive_user(user: Any, api_client: Any) -> None:
    client = api_client(user)
    user.is_active = False
    user.save()
    assert_unauthorized(client.get("/v4/plans"))


def test_create_api_token_prints_a_working_token_on_its_last_line(user: Any) -> None:
    out = StringIO()
    call_command("create_api_token", user.username, stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.strip() == raw and " " not in raw
    # Stored hashed, never in clear.
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hash_token(raw)
    assert raw not in {token.key_hash, token.prefix, token.name}

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/v4/plans")
    assert response.status_code == 200
    assert response.json() == {"data": [], "next": None}
