"""What every page shares: the favicon, the navigation only for signed-in users, no inline
scripts; and the admin without django-celery-beat's tables, tasks first on a plan's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from plans.services import plan_create

pytestmark = pytest.mark.django_db


def test_the_favicon_answers_at_the_root_and_is_named_by_every_page(client: Any, user: Any) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    client.force_login(user)
    assert 'rel="icon"' in client.get(reverse("plans:list")).content.decode()


def test_the_login_page_has_no_navigation_for_a_signed_out_visitor(client: Any) -> None:
    page = client.get(reverse("login")).content.decode()

    assert 'class="card login-card"' in page
    assert 'id="site-menu"' not in page and "Job history" not in page and "Log out" not in page


def test_signed_in_pages_have_the_menu_and_no_inline_scripts(client: Any, user: Any) -> None:
    client.force_login(user)

    page = client.get(reverse("plans:list")).content.decode()

    assert 'data-menu-toggle aria-controls="site-menu"' in page
    assert f'href="{reverse("runs:list")}"' in page
    assert "<script>" not in page and "onsubmit=" not in page and "onclick=" not in page


def test_the_admin_sidebar_has_no_django_celery_beat_tables(client: Any, staff_user: Any) -> None:
    client.force_login(staff_user)

    page = client.get(reverse("admin:index")).content.decode()

    assert "Periodic tasks" not in page and "Crontabs" not in page and "Intervals" not in page
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 404


def test_the_admin_plan_page_puts_tasks_before_the_folded_email_lists(
    client: Any, staff_user: Any
) -> None:
    plan = plan_create(
        owner=staff_user,
        name="P",
        tasks=[
            {"name": f"T{i}", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}
            for i in range(20)
        ],
    )
    client.force_login(staff_user)

    page = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()

    emails = page.index("Email notifications</h2>")
    assert page.rfind("<details>", 0, emails) > page.rfind("</details>", 0, emails)  # folded
    assert page.index('id="tasks-group"') < page.index('id="triggers-group"')
