"""The Access tokens page: users make their own API tokens (value shown once) and revoke them;
the workspace can stop users other than staff from making new ones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create
from workspace.services import workspace_settings_update

pytestmark = pytest.mark.django_db
URL = "/accounts/tokens/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_user_makes_a_token_sees_it_once_and_it_works(client: Any, user: Any) -> None:
    client.force_login(user)

    made = client.post(URL, {"name": "nightly script"})

    assert made.status_code == 200
    raw = re.search(r'id="new-token-value">([^<]+)<', made.content.decode()).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "nightly script" and raw.startswith(token.prefix)
    assert raw not in client.get(URL).content.decode()  # never shown again
    assert bearer(raw).get("/v4/plans").status_code == 200
    assert raw not in str(list(ApiToken.objects.values_list(flat=False)))  # only its hash


def test_the_page_lists_only_the_users_own_tokens(client: Any, user: Any, other_user: Any) -> None:
    token_create(user=user, name="mine")
    token_create(user=other_user, name="theirs")
    client.force_login(user)

    page = client.get(URL).content.decode()

    assert "mine" in page and "theirs" not in page


def test_a_token_without_a_name_is_refused_on_the_field(client: Any, user: Any) -> None:
    client.force_login(user)

    response = client.post(URL, {"name": "   "})

    assert response.status_code == 400
    assert 'id="error-name"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_only_the_owner_can(
    client: Any, user: Any, other_user: Any
) -> None:
    mine, raw = token_create(user=user, name="mine")
    theirs, _ = token_create(user=other_user, name="theirs")
    client.force_login(user)

    client.post(reverse("api_token_revoke", args=[theirs.pk]))
    client.post(reverse("api_token_revoke", args=[mine.pk]))

    assert list(ApiToken.objects.values_list("name", flat=True)) == ["theirs"]
    assert bearer(raw).get("/v4/plans").status_code == 401


def test_with_tokens_turned_off_users_cannot_make_one_but_staff_can(
    client: Any, user: Any, staff_user: Any
) -> None:
    _, raw = token_create(user=user, name="kept")
    workspace_settings_update(api_tokens_enabled=False)
    client.force_login(user)

    page = client.get(URL).content.decode()
    refused = client.post(URL, {"name": "another"})

    assert 'id="tokens-off"' in page and 'id="create-token"' not in page
    assert refused.status_code == 403
    assert "turned off" in refused.content.decode()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["kept"]
    assert bearer(raw).get("/v4/plans").status_code == 200  # tokens made before keep working

    client.force_login(staff_user)
    assert client.post(URL, {"name": "ops"}).status_code == 200
    assert ApiToken.objects.filter(user=staff_user, name="ops").exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_see_every_token_in_the_admin_without_its_hash(
    client: Any, user: Any, staff_user: Any
) -> None:
    token, _ = token_create(user=user, name="listed")
    client.force_login(staff_user)

    listing = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    detail = client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()

    assert "listed" in listing
    assert token.key_hash not in listing + detail
