"""Metadata references in plans: checked when saved, filled in when a job starts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.errors import ServiceValidationError
from plans.services import plan_create
from runs.models import JobStatus, RunStatus
from runs.services import run_plan
from tests.fakes.http_server import HttpPeer
from tests.helpers import wait_for_run
from tests.tasks_engine.plan_helpers import (
    http_task,
    make_plan,
    no_enqueue,
    run_in_process,
    slack_connection,
    slack_task,
)

__all__ = ["no_enqueue"]
URL = "https://example.com/hook"


def save_errors(user: Any, tasks: list[dict[str, Any]]) -> dict[str, list[str]]:
    with pytest.raises(ServiceValidationError) as caught:
        plan_create(owner=user, name="Refs", tasks=tasks)
    return caught.value.errors


# --- at save ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reference_to_a_later_task_is_refused_at_save(user: Any) -> None:
    errors = save_errors(
        user,
        [
            http_task("First", URL + "?code={{$second.statusCode}}", ref="first"),
            http_task("Second", URL, ref="second"),
        ],
    )

    assert list(errors) == ["tasks[0].config.url"]
    assert "task 'second' is not upstream of this task" in errors["tasks[0].config.url"][0]


@pytest.mark.django_db
def test_a_reference_to_a_task_on_another_branch_is_refused(user: Any) -> None:
    errors = save_errors(
        user,
        [
            http_task("A", URL, ref="a"),
            http_task("B", URL, ref="b", upstream=[]),
            http_task("C", URL, ref="c", upstream=["a"], body="{{$b.status}}", method="POST"),
        ],
    )

    assert list(errors) == ["tasks[2].config.body"]
    assert "'b' is not upstream" in errors["tasks[2].config.body"][0]


@pytest.mark.django_db
def test_unknown_fields_bad_syntax_and_self_references_are_refused(user: Any) -> None:
    connection = slack_connection(owner=user)
    errors = save_errors(
        user,
        [
            http_task("A", URL + "?x={{$plan.nme}}", ref="a"),
            http_task("B", URL, ref="b", headers={"X-A": "{{$a.colour}}"}),
            slack_task("Tell", connection, "{{ not a ref }}", ref="tell"),
            slack_task("Again", connection, "{{$again.status}}", ref="again"),
        ],
    )

    assert "unknown field 'nme' of $plan" in errors["tasks[0].config.url"][0]
    assert "unknown field 'colour' of $a" in errors["tasks[1].config.headers"][0]
    assert list(errors["tasks[2].config.message"]) and len(errors) == 4
    assert "cannot reference itself" in errors["tasks[3].config.message"][0]


@pytest.mark.django_db
def test_transitive_upstream_tasks_and_their_http_fields_may_be_referenced(user: Any) -> None:
    connection = slack_connection(owner=user)

    plan = plan_create(
        owner=user,
        name="Refs",
        tasks=[
            http_task("Fetch", URL, ref="fetch"),
            http_task("Load", URL, ref="load"),
            # Upstream is only "load", but "fetch" is upstream of "load": reachable.
            slack_task(
                "Tell",
                connection,
                "{{$fetch.response.json.items[0].id}} {{$fetch.response.headers['Content-Type']}}"
                " {{$load.duration|humanizeDuration}} {{$plan.url}} {{$load.endTime}}",
                ref="tell",
            ),
        ],
    )

    assert plan.tasks.count() == 3


# --- at run time ----------------------------------------------------------------------


def three_task_plan(user: Any, peer: HttpPeer) -> Any:
    """fetch (JSON answer) -> load (POSTs a body with references, one through |json) ->
    report (references both)."""
    peer.route(
        "/fetch",
        status=200,
        headers={"Content-Type": "application/json"},
        body=json.dumps({"items": [{"id": "ord-7", "note": 'say "hi"\nbye'}]}),
    )
    peer.route("/load/ord-7", status=201, body="loaded")
    peer.route("/report", status=200)
    return make_plan(
        user,
        [
            http_task("Fetch", peer.url("/fetch"), ref="fetch"),
            http_task(
                "Load",
                peer.url("/load/{{$fetch.response.json.items[0].id}}"),
                ref="load",
                method="POST",
                headers={"Content-Type": "application/json"},
                body='{"note": {{$fetch.response.json.items[0].note|json}}, '
                '"plan": {{$plan.name|json}}}',
            ),
            http_task(
                "Report",
                peer.url(
                    "/report?first={{$fetch.statusCode}}&second={{$load.statusCode}}"
                    "&type={{$fetch.response.headers['content-type']}}"
                ),
                ref="report",
            ),
        ],
        name='Nightly "sync"',
    )


def assert_three_task_requests(peer: HttpPeer) -> None:
    load = peer.requests_to("/load/ord-7")
    assert len(load) == 1
    assert json.loads(load[0].body) == {"note": 'say "hi"\nbye', "plan": 'Nightly "sync"'}
    (report,) = peer.requests_to("/report")
    assert report.path == "/report?first=200&second=201&type=application/json"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_references_across_three_tasks_are_filled_by_the_worker(
    user: Any, http_peer: HttpPeer, celery_worker_process: Any
) -> None:
    plan = three_task_plan(user, http_peer)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert_three_task_requests(http_peer)


@pytest.mark.django_db(transaction=True)
def test_a_json_path_missing_at_run_time_fails_the_job_naming_it(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/fetch", status=200, body='{"items": []}')
    http_peer.route("/next", status=200)
    plan = make_plan(
        user,
        [
            http_task("Fetch", http_peer.url("/fetch"), ref="fetch"),
            http_task("Next", http_peer.url("/next?id={{$fetch.response.json.items[0].id}}")),
        ],
    )

    run = run_in_process(plan)

    assert run.status == RunStatus.FAILED
    job = run.jobs.get(task_ref="next")
    assert job.status == JobStatus.FAILED
    assert "{{$fetch.response.json.items[0].id}}" in job.error
    assert "out of range" in job.error
    assert http_peer.requests_to("/next") == []


@pytest.mark.django_db(transaction=True)
def test_a_body_that_is_not_json_fails_a_json_reference_but_default_fills_it(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/fetch", status=200, body="plain text")
    http_peer.route("/next", status=200)
    plan = make_plan(
        user,
        [
            http_task("Fetch", http_peer.url("/fetch"), ref="fetch"),
            http_task(
                "Next", http_peer.url("/next?id={{$fetch.response.json.id|default('none')}}")
            ),
            http_task(
                "Last", http_peer.url("/next?id={{$fetch.response.json.id}}"), upstream=["fetch"]
            ),
        ],
    )

    run = run_in_process(plan)

    assert [r.path for r in http_peer.requests_to("/next")] == ["/next?id=none"]
    last = run.jobs.get(task_ref="last")
    assert last.status == JobStatus.FAILED
    assert "not valid JSON" in last.error
