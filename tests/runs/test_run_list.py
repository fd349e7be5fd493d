"""Plan Runs (/runs/): every visible run, newest first, filtered, paged by keyset."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.models import Plan
from plans.services import plan_create
from plans.triggers.services import trigger_create
from runs.keyset import decode, encode
from runs.models import PlanRun, RunSource, RunStatus
from runs.services import run_plan

pytestmark = pytest.mark.django_db
URL = reverse("runs:list")


def make_plan(owner: Any, name: str = "Export") -> Plan:
    return plan_create(
        owner=owner,
        name=name,
        tasks=[{"name": "Ping", "type": "http", "config": {"url": "http://127.0.0.1:9/"}}],
    )


def make_run(plan: Plan, *, created: datetime | None = None, **fields: Any) -> PlanRun:
    run = run_plan(plan=plan, source=fields.pop("source", RunSource.MANUAL), enqueue=False)
    updates = {"created_at": created} if created else {}
    updates.update(fields)
    if updates:
        PlanRun.objects.filter(pk=run.pk).update(**updates)
    return run


def shown(response: Any) -> list[int]:
    return [run.pk for run in response.context["page"].items]


def test_it_lists_every_visible_run_newest_first_and_nothing_of_others(
    client: Any, user: Any, other_user: Any, viewer: Any, share: Callable[..., Any]
) -> None:
    mine, theirs, shared = (
        make_plan(user),
        make_plan(other_user, "Theirs"),
        make_plan(other_user, "Shared"),
    )
    share(shared, user)
    runs = [make_run(mine), make_run(shared), make_run(mine)]
    make_run(theirs)
    client.force_login(user)

    response = client.get(URL)

    assert shown(response) == [runs[2].pk, runs[1].pk, runs[0].pk]
    page = response.content.decode()
    assert page.count('data-run-status="') == 3
    assert "Theirs" not in page


def test_it_filters_by_plan_status_source_trigger_and_dates(client: Any, user: Any) -> None:
    export, other = make_plan(user), make_plan(user, "Other")
    trigger = trigger_create(plan=export, name="Nightly", kind="cron", cron="0 2 * * *")
    day = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    failed = make_run(export, created=day, status=RunStatus.FAILED)
    scheduled = make_run(
        export, created=day + timedelta(days=1), source=RunSource.SCHEDULE, trigger=trigger
    )
    api = make_run(other, created=day + timedelta(days=2), source=RunSource.API)
    client.force_login(user)

    def runs(**params: Any) -> list[int]:
        return shown(client.get(URL, params))

    assert runs(plan=export.pk) == [scheduled.pk, failed.pk]
    assert runs(plan_name="other") == [api.pk]  # by name, any case
    assert runs(status="failed") == [failed.pk]
    assert runs(source="schedule") == [scheduled.pk]
    assert runs(source="api") == [api.pk]
    assert runs(plan=export.pk, trigger=trigger.pk) == [scheduled.pk]
    assert runs(since="2026-03-03") == [api.pk, scheduled.pk]
    assert runs(until="2026-03-02") == [failed.pk]
    assert runs(since="2026-03-03", until="2026-03-03") == [scheduled.pk]
    assert runs(status="bogus", source="x", since="yesterday", plan="abc") == [api.pk, scheduled.pk, failed.pk]  # fmt: skip


def test_a_chosen_plan_offers_its_triggers(client: Any, user: Any) -> None:
    plan = make_plan(user)
    trigger_create(plan=plan, name="Nightly", kind="cron", cron="0 2 * * *")
    client.force_login(user)

    with_plan = client.get(URL, {"plan": plan.pk}).content.decode()
    without = client.get(URL).content.decode()

    assert 'id="filter-trigger"' in with_plan and ">Nightly</option>" in with_plan
    assert 'id="filter-trigger"' not in without
    assert f'value="{plan.name}"' in with_plan  # the plan field shows the linked plan's name


def test_pages_follow_each_other_without_gaps_or_repeats(client: Any, user: Any) -> None:
    plan = make_plan(user)
    same_moment = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    created = [make_run(plan, created=same_moment if i % 3 == 0 else same_moment + timedelta(seconds=i)) for i in range(120)]  # fmt: skip
    client.force_login(user)

    first = client.get(URL).context["page"]
    second = client.get(URL, {"after": first.older}).context["page"]
    third = client.get(URL, {"after": second.older}).context["page"]
    back = client.get(URL, {"before": second.newer}).context["page"]

    seen = [r.pk for r in first.items + second.items + third.items]
    assert len(seen) == len(set(seen)) == 120
    assert {r.pk for r in created} == set(seen)
    keys = [(r.created_at, r.pk) for r in first.items + second.items + third.items]
    assert keys == sorted(keys, reverse=True)
    assert (len(first.items), len(second.items), len(third.items)) == (50, 50, 20)
    assert first.newer is None and third.older is None
    assert [r.pk for r in back.items] == [r.pk for r in first.items]
    assert back.newer is None  # back on the newest page


def test_a_malformed_cursor_reads_as_the_newest_page(client: Any, user: Any) -> None:
    make_run(make_plan(user))
    client.force_login(user)

    for cursor in ("x", "1.", ".1", "99999999999999999999999.1", "-5.2"):
        response = client.get(URL, {"after": cursor})
        assert response.status_code == 200


def test_a_cursor_round_trips() -> None:
    moment = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)

    key = decode(encode(moment, 42))

    assert key is not None and (key.created_at, key.id) == (moment, 42)
    assert decode(None) is None and decode("") is None


def test_a_page_costs_the_same_queries_for_3_or_60_runs(client: Any, user: Any) -> None:
    client.force_login(user)
    plans = [make_plan(user, f"Plan {i}") for i in range(3)]
    trigger = trigger_create(plan=plans[0], name="T", kind="cron", cron="0 2 * * *")
    for plan in plans:
        make_run(plan, trigger=trigger, requested_by=user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"plan": plans[0].pk})
        assert response.status_code == 200
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        return len(queries)

    with_few = count()
    for _ in range(19):
        for plan in plans:
            make_run(plan, trigger=trigger, requested_by=user)

    assert count() == with_few


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
