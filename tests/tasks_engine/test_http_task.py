"""The HTTP task in full: signatures, success codes, retries, the write-only secret key, Test."""

from __future__ import annotations

from typing import Any

import pytest

from connections.models import Secret
from plans.models import PlanTask
from plans.services import plan_update
from runs.models import Job, JobLogLine, JobStatus, PlanRun, RunStatus
from tasks_engine import http_client
from tasks_engine.http_test import http_test_request
from tests.fakes.http_server import HttpPeer, verify_signature
from tests.tasks_engine.plan_helpers import http_task, make_plan, no_enqueue, run_in_process

__all__ = ["no_enqueue"]
SECRET_KEY = "whsec-shared-secret-value"


def log_of(job: Job) -> list[str]:
    return list(JobLogLine.objects.filter(job=job).values_list("message", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_signed_request_verifies_with_the_documented_recipe(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/hook", status=204)
    body = '{"plan": {{$plan.name|json}}, "note": "caf\u00e9"}'
    plan = make_plan(
        user,
        [
            http_task(
                "Signed POST",
                http_peer.url("/hook"),
                method="POST",
                body=body,
                secretKey=SECRET_KEY,
            ),
            http_task("Signed GET", http_peer.url("/hook"), secretKey=SECRET_KEY),
            http_task("Unsigned", http_peer.url("/hook")),
        ],
        name="Sign me",
    )

    run = run_in_process(plan)

    assert run.status == RunStatus.SUCCEEDED, run.error
    signed_post, signed_get, unsigned = http_peer.requests
    assert signed_post.body == '{"plan": "Sign me", "note": "café"}'.encode()
    assert verify_signature(SECRET_KEY, signed_post.headers, signed_post.body)
    assert not verify_signature("another-secret", signed_post.headers, signed_post.body)
    assert not verify_signature(SECRET_KEY, signed_post.headers, signed_post.body + b" ")
    assert signed_get.body == b""
    assert verify_signature(SECRET_KEY, signed_get.headers, b"")
    assert unsigned.header("X-Plans-Signature") is None
    shown = run.jobs.get(position=1).result["request"]["headers"]
    assert shown["X-Plans-Signature"] == http_client.MASK


@pytest.mark.django_db
def test_the_secret_key_is_write_only_kept_when_absent_and_removed_by_null(user: Any) -> None:
    plan = make_plan(user, [http_task("Hook", "https://example.com/h", secretKey=SECRET_KEY)])
    task = plan.tasks.get()
    secret_id = task.secrets["secretKey"]
    assert "secretKey" not in task.config
    assert SECRET_KEY not in Secret.objects.get(pk=secret_id).ciphertext

    plan_update(plan=plan, tasks=[{"id": task.pk, **http_task("Hook", "https://example.com/2")}])
    assert PlanTask.objects.get(pk=task.pk).secrets == {"secretKey": secret_id}

    removed = http_task("Hook", "https://example.com/2", secretKey=None)
    plan_update(plan=plan, tasks=[{"id": task.pk, **removed}])
    assert PlanTask.objects.get(pk=task.pk).secrets == {}


@pytest.mark.django_db
def test_the_api_shows_only_whether_the_secret_key_is_set(user: Any, api_client: Any) -> None:
    plan = make_plan(user, [http_task("Hook", "https://example.com/h", secretKey=SECRET_KEY)])

    response = api_client(user).get(f"/v4/plans/{plan.pk}")

    assert response.status_code == 200
    assert response.json()["tasks"][0]["config"]["secretKeySet"] is True
    assert SECRET_KEY not in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("codes", "status", "outcome"),
    [
        (None, 201, JobStatus.SUCCEEDED),
        (None, 302, JobStatus.FAILED),
        ([200, 204, "3xx"], 302, JobStatus.SUCCEEDED),
        ([200, 204, "3xx"], 201, JobStatus.FAILED),
        ([404], 404, JobStatus.SUCCEEDED),
    ],
)
def test_success_is_decided_by_the_configured_status_codes(
    user: Any,
    http_peer: HttpPeer,
    no_enqueue: list[int],
    codes: list[Any] | None,
    status: int,
    outcome: str,
) -> None:
    http_peer.route("/x", status=status)
    extra = {"successCodes": codes} if codes is not None else {}
    plan = make_plan(user, [http_task("X", http_peer.url("/x"), **extra)])

    job = run_in_process(plan).jobs.get()

    assert job.status == outcome
    assert job.result["statusCode"] == status
    if outcome == JobStatus.FAILED:
        assert job.error.startswith(f"HTTP {status}")


@pytest.mark.django_db
def test_bad_success_codes_are_refused_at_save(user: Any) -> None:
    from core.errors import ServiceValidationError

    with pytest.raises(ServiceValidationError) as caught:
        make_plan(user, [http_task("X", "https://example.com", successCodes=[99, "6xx", True])])

    assert len(caught.value.errors["tasks[0].config.successCodes"]) == 3


@pytest.mark.django_db(transaction=True)
def test_it_retries_with_backoff_and_logs_every_attempt(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/flaky", status=503, times=2)
    http_peer.route("/flaky", status=200, body="finally")
    plan = make_plan(user, [http_task("Flaky", http_peer.url("/flaky"), retries=3)])

    job = run_in_process(plan).jobs.get()

    assert job.status == JobStatus.SUCCEEDED
    assert job.result["attempts"] == 3
    lines = log_of(job)
    assert [line.split(":")[0] for line in lines if line.startswith("Attempt")] == [
        "Attempt 1/4",
        "Attempt 2/4",
        "Attempt 3/4",
    ]
    assert sum(line.startswith("Retrying in") for line in lines) == 2
    first, second, third = http_peer.requests
    # Backoff: 1 s then 2 s nominal, each with jitter down to half.
    assert second.arrived_monotonic - first.arrived_monotonic >= 0.5
    assert third.arrived_monotonic - second.arrived_monotonic >= 1.0


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_its_retries_and_fails_with_the_last_error(
    user: Any, http_peer: HttpPeer, no_enqueue: list[int]
) -> None:
    http_peer.route("/down", status=500)
    plan = make_plan(user, [http_task("Down", http_peer.url("/down"), retries=1)])

    job = run_in_process(plan).jobs.get()

    assert job.status == JobStatus.FAILED
    assert job.error == "HTTP 500 Internal Server Error"
    assert len(http_peer.requests) == 2


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for attempt, nominal in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 60.0)]:
        delays = [http_client.backoff_delay(attempt) for _ in range(50)]
        assert all(nominal * 0.5 <= d <= nominal for d in delays)
        assert len(set(delays)) > 1


# --- the admin's Test button backend ------------------------------------------------------


@pytest.mark.django_db
def test_the_test_request_sends_once_with_sample_values_and_creates_no_run(
    http_peer: HttpPeer,
) -> None:
    http_peer.route("/t", status=201, headers={"X-Answer": "yes"}, body='{"ok": true}')
    config = {
        "method": "POST",
        "url": http_peer.url("/t?run={{$plan.runId}}&id={{$fetch.response.json.items[0].id}}"),
        "headers": {"Authorization": "Bearer abc", "X-Code": "{{$fetch.statusCode}}"},
        "body": '{"plan": {{$plan.name|json}}, "took": "{{$fetch.duration|humanizeDuration}}"}',
    }

    outcome = http_test_request(config, SECRET_KEY)

    assert outcome["ok"] is True, outcome
    assert outcome["response"]["statusCode"] == 201
    assert outcome["response"]["headers"]["X-Answer"] == "yes"
    assert outcome["response"]["body"] == '{"ok": true}'
    (sent,) = http_peer.requests
    assert sent.path == "/t?run=0&id=sample"
    assert sent.header("X-Code") == "200"
    assert sent.body.startswith(b'{"plan": "Sample plan"')
    assert verify_signature(SECRET_KEY, sent.headers, sent.body)
    assert outcome["request"]["headers"]["Authorization"] == http_client.MASK
    assert SECRET_KEY not in str(outcome)
    assert not PlanRun.objects.exists()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_test_request_reports_config_errors_and_failures_without_sending(
    http_peer: HttpPeer,
) -> None:
    http_peer.route("/t", status=500, body="no")

    invalid = http_test_request({"method": "FETCH", "url": "nope"})
    failed = http_test_request({"method": "GET", "url": http_peer.url("/t")})

    assert set(invalid["errors"]) == {"method", "url"}
    assert invalid["response"] is None
    assert failed["ok"] is False
    assert failed["response"]["statusCode"] == 500
    assert "not among the success codes" in failed["error"]
    assert len(http_peer.requests) == 1
