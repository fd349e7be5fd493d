"""Reading the audit log: staff only (page and API), filters, keyset pages, constant query
counts, and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from plans.models import Plan
from plans.services import plan_create

pytestmark = pytest.mark.django_db

HTTP_TASK = {"name": "Ping", "type": "http", "config": {"method": "GET", "url": "https://x.test/"}}


@pytest.fixture
def plans(user: Any, other_user: Any) -> tuple[Plan, Plan]:
    """Two plans (one each), created by their owners: two `created` events, then two edits."""
    mine = plan_create(owner=user, name="Mine", tasks=[HTTP_TASK])
    theirs = plan_create(owner=other_user, name="Theirs", tasks=[HTTP_TASK])
    for plan in (mine, theirs):
        audit_record(action=AuditAction.EDITED, obj=plan, actor=plan.owner, fields=["name"])
    return mine, theirs


def plan_events(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (e["action"], e["actorName"], e["objectLabel"])
        for e in body["data"]
        if e["objectType"] == "plans.plan"
    ]


# --- who may read it ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["user", "other_user"])
def test_the_api_answers_403_to_anyone_but_staff(
    persona: str, request: Any, api_client: Any, plans: Any
) -> None:
    response = api_client(request.getfixturevalue(persona)).get("/v4/auditEvents")

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "The audit log is for staff.",
            "details": {},
        }
    }


def test_the_api_needs_a_token(client: Any) -> None:
    assert client.get("/v4/auditEvents").status_code == 401


def test_staff_read_every_event_newest_first(staff_user: Any, api_client: Any, plans: Any) -> None:
    response = api_client(staff_user).get("/v4/auditEvents")

    assert response.status_code == 200
    assert plan_events(response.json()) == [
        ("edited", "outsider", "Theirs"),
        ("edited", "owner", "Mine"),
        ("created", "", "Theirs"),  # made outside a request: the system
        ("created", "", "Mine"),
    ]
    event = next(e for e in response.json()["data"] if e["objectType"] == "plans.plan")
    assert set(event) == {
        "id", "at", "action", "actorId", "actorName", "objectType", "objectId", "objectLabel",
        "details", "ip",
    }  # fmt: skip
    assert event["at"].endswith("Z") and event["details"] == {"fields": ["name"]}


@pytest.mark.parametrize("persona", ["user", "other_user"])
def test_the_page_is_403_to_anyone_but_staff(
    persona: str, request: Any, client: Any, plans: Any
) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("audit:list"))

    assert response.status_code == 403
    assert "The audit log is for staff." in response.content.decode()
    assert reverse("audit:list") not in client.get(reverse("plans:list")).content.decode()


def test_the_page_asks_strangers_to_sign_in(client: Any) -> None:
    response = client.get(reverse("audit:list"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_see_the_page_from_the_nav(client: Any, staff_user: Any, plans: Any) -> None:
    client.force_login(staff_user)

    assert reverse("audit:list") in client.get(reverse("plans:list")).content.decode()
    page = client.get(reverse("audit:list")).content.decode()

    assert page.count('data-audit-action="edited"') == 2
    assert "Theirs" in page and "Mine" in page and "outsider" in page


# --- filters ------------------------------------------------------------------------------


def test_filters_by_actor_object_action_and_time(
    staff_user: Any, other_user: Any, api_client: Any, plans: Any
) -> None:
    theirs = plans[1]
    old = AuditEvent.objects.get(action="created", object_id=theirs.pk, object_type__model="plan")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=3))
    client = api_client(staff_user)

    def labels(query: str) -> list[tuple[str, str, str]]:
        response = client.get(f"/v4/auditEvents?{query}")
        assert response.status_code == 200, response.json()
        return plan_events(response.json())

    assert labels(f"actorId={other_user.pk}") == [("edited", "outsider", "Theirs")]
    assert labels("actor=owner") == [("edited", "owner", "Mine")]
    assert labels(f"objectType=plans.plan&objectId={theirs.pk}") == [
        ("edited", "outsider", "Theirs"),
        ("created", "", "Theirs"),
    ]
    assert labels("action=created") == [("created", "", "Theirs"), ("created", "", "Mine")]
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ("created", "", "Theirs") not in labels(f"since={since}")
    assert labels(f"until={since}") == [("created", "", "Theirs")]
    assert labels("objectType=nosuch.thing") == []


@pytest.mark.parametrize(
    "query", ["action=exploded", "since=yesterday", "objectId=x", "objectType=../etc", "actorId=0"]
)
def test_a_bad_filter_is_a_400_naming_it(staff_user: Any, api_client: Any, query: str) -> None:
    response = api_client(staff_user).get(f"/v4/auditEvents?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_the_page_filters_too(client: Any, staff_user: Any, plans: Any) -> None:
    client.force_login(staff_user)

    page = client.get(reverse("audit:list"), {"actor": "outsider"}).content.decode()

    assert page.count("data-audit-action=") == 1 and "Theirs" in page
    bad = client.get(reverse("audit:list"), {"since": "yesterday"}).content.decode()
    assert "data-audit-action=" not in bad and "Enter a valid date/time" in bad


# --- pages --------------------------------------------------------------------------------


def many_events(count: int) -> list[int]:
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditAction.LOGIN_FAILED, object_label=f"try-{n}") for n in range(count)
    )
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("-id")
    return list(failed.values_list("id", flat=True))


def test_the_api_pages_by_keyset_through_next(staff_user: Any, api_client: Any) -> None:
    client = api_client(staff_user)
    ids = many_events(23)

    seen: list[int] = []
    url: str | None = "/v4/auditEvents?limit=10&action=login_failed"
    while url:
        body = client.get(url).json()
        seen += [event["id"] for event in body["data"]]
        url = body["next"]

    assert seen == ids


def test_the_page_pages_by_keyset(client: Any, staff_user: Any) -> None:
    client.force_login(staff_user)
    ids = many_events(60)

    first = client.get(reverse("audit:list"), {"action": "login_failed"})
    second = client.get(reverse("audit:list"), {"action": "login_failed", "before": ids[49]})

    assert [e.pk for e, _ in first.context["rows"]] == ids[:50]
    assert f"before={ids[49]}" in first.context["older_query"]
    assert [e.pk for e, _ in second.context["rows"]] == ids[50:]
    assert second.context["older_query"] == "" and second.context["newer"]


def test_the_list_costs_the_same_whatever_its_length(
    staff_user: Any, api_client: Any, client: Any
) -> None:
    api = api_client(staff_user)
    client.force_login(staff_user)
    plan = plan_create(owner=staff_user, name="P", tasks=[HTTP_TASK])
    audit_record(action=AuditAction.EDITED, obj=plan)
    api.get("/v4/auditEvents")  # warm the content type cache
    counts = []
    for extra in (0, 60):
        for n in range(extra):
            audit_record(action=AuditAction.EDITED, obj=plan, actor=staff_user, n=n)
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get("/v4/auditEvents?limit=50").status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get(reverse("audit:list")).status_code == 200
        counts.append((len(api_queries), len(page_queries)))

    assert counts[0] == counts[1]
    assert counts[0][0] <= 3  # the token, the page of events (objects joined), nothing per row


# --- retention ----------------------------------------------------------------------------


def test_events_past_the_retention_period_are_deleted(settings: Any, plans: Any) -> None:
    from audit.tasks import purge_expired

    settings.AUDIT_RETENTION_DAYS = 30
    AuditEvent.objects.filter(object_label="Mine").update(at=timezone.now() - timedelta(days=31))

    assert purge_expired() == 2

    assert not AuditEvent.objects.filter(object_label="Mine").exists()
    assert AuditEvent.objects.filter(object_label="Theirs").count() == 2


def test_the_purge_runs_hourly_beside_the_other_system_schedules() -> None:
    from django_celery_beat.models import PeriodicTask

    from orchestration_site.celery import app

    app.loader.import_default_modules()
    task = PeriodicTask.objects.get(name="audit.purge_expired")

    assert (task.task, task.enabled, task.interval.every, task.interval.period) == (
        "audit.purge_expired", True, 3600, "seconds",
    )  # fmt: skip
    assert "audit.purge_expired" in app.tasks
