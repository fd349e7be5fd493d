"""Anyone with an account logs in through /accounts/login/, not only staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_non_staff_user_logs_in_and_lands_on_the_plans_page(client: Any, user: Any) -> None:
    response = client.post(reverse("login"), {"username": "owner", "password": "owner-password-1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("plans:list")
    assert client.get(reverse("plans:list")).status_code == 200


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client: Any, user: Any) -> None:
    response = client.post(reverse("login"), {"username": "owner", "password": "nope"})

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    assert client.get(reverse("plans:list")).status_code == 302


def test_logging_out_needs_a_post_and_ends_the_session(client: Any, user: Any) -> None:
    client.force_login(user)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("plans:list")).status_code == 302
