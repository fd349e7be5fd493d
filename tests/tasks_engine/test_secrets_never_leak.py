"""After a run that used every secret-bearing field, no secret value is anywhere we store or show."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from django.urls import reverse

from connections.services import connection_create
from runs.models import JobLogLine, JobStatus, RunStatus
from runs.services import run_plan
from tests.fakes.http_server import HttpPeer, verify_signature
from tests.fakes.moto import REGION, s3_settings
from tests.fakes.slack import FakeSlack
from tests.helpers import wait_for_run
from tests.tasks_engine.plan_helpers import (
    SLACK_TOKEN,
    delete_task,
    http_task,
    make_plan,
    slack_task,
    worker_slack,
)

__all__ = ["worker_slack"]
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HTTP_SECRET = "whsec-leak-check-5b1f0c"
ACCESS_KEY_ID = "AKIALEAKCHECK7Q2W"
SECRET_ACCESS_KEY = "leak-check-secret-access-key-9x8y7z"
SECRETS = (HTTP_SECRET, SLACK_TOKEN, ACCESS_KEY_ID, SECRET_ACCESS_KEY)


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


def test_no_secret_appears_in_snapshots_results_logs_api_or_pages(
    user: Any,
    staff_user: Any,
    api_client: Any,
    client: Any,
    http_peer: HttpPeer,
    worker_slack: FakeSlack,
    moto_server: str,
    celery_worker_process: Any,
) -> None:
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=moto_server,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )
    s3.create_bucket(Bucket="leak-check")
    s3.put_object(Bucket="leak-check", Key="out/old.csv", Body=b"x")
    http_peer.route("/hook", status=200, body='{"ok": true}')
    slack = connection_create(name="Team", kind="slack", secrets={"token": SLACK_TOKEN}, owner=user)
    bucket = connection_create(
        name="Bucket",
        kind="s3",
        settings=s3_settings(moto_server, "leak-check"),
        secrets={"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY},
        owner=user,
    )
    plan = make_plan(
        user,
        [
            http_task(
                "Signed hook",
                http_peer.url("/hook"),
                ref="hook",
                method="POST",
                body='{"run": {{$plan.runId}}}',
                headers={"Content-Type": "application/json"},
                secretKey=HTTP_SECRET,
            ),
            delete_task("Clean bucket", bucket, "out", target="folder", ref="clean"),
            slack_task("Tell", slack, "Done: {{$clean.status}} after HTTP {{$hook.statusCode}}"),
        ],
        name="Leak check",
    )

    run = wait_for_run(run_plan(plan=plan, source="manual", requested_by=user).pk)

    # Every secret was really used.
    assert run.status == RunStatus.SUCCEEDED, run.error
    (hook,) = http_peer.requests
    assert verify_signature(HTTP_SECRET, hook.headers, hook.body)
    assert [m.token for m in worker_slack.messages] == [SLACK_TOKEN]
    assert s3.list_objects_v2(Bucket="leak-check").get("KeyCount") == 0
    jobs = list(run.jobs.order_by("position"))
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] * 3

    # Stored data.
    assert_no_secret("the snapshot", json.dumps(run.snapshot))
    assert_no_secret("the run error", run.error)
    for job in jobs:
        assert_no_secret(f"job {job.pk} result", json.dumps(job.result) + job.error)
    lines = JobLogLine.objects.filter(job__run=run).values_list("message", flat=True)
    assert_no_secret("job log lines", "\n".join(lines))
    assert_no_secret("the worker's own log", celery_worker_process.log())

    # API answers.
    api = api_client(user)
    for url in (
        f"/v4/plans/{plan.pk}",
        f"/v4/planSnapshotRuns/{run.pk}",
        f"/v4/jobs?planSnapshotRunId={run.pk}",
        *(f"/v4/jobs/{job.pk}" for job in jobs),
        "/v4/connections",
        f"/v4/connections/{slack.pk}",
        f"/v4/connections/{bucket.pk}",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert_no_secret(url, response.content.decode())

    # Pages, as the owner and in the admin.
    client.force_login(user)
    pages = [
        reverse("runs:detail", args=[run.pk]),
        reverse("runs:jobs_fragment", args=[run.pk]),
        reverse("plans:detail", args=[plan.pk]),
        *(reverse("runs:job", args=[job.pk]) for job in jobs),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secret(url, response.content.decode())
    client.force_login(staff_user)
    admin_pages = [
        reverse("admin:connections_connection_change", args=[slack.pk]),
        reverse("admin:connections_connection_change", args=[bucket.pk]),
        reverse("admin:connections_connection_changelist"),
        reverse("admin:plans_plan_change", args=[plan.pk]),
        reverse("admin:runs_planrun_change", args=[run.pk]),
        *(reverse("admin:runs_job_change", args=[job.pk]) for job in jobs),
    ]
    for url in admin_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secret(url, response.content.decode())
