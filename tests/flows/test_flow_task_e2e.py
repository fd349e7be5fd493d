"""The flow task end to end: plans run flows in a real Celery worker over real files.

One worker, HTTP peer and SMTP peer serve the whole module (a worker takes seconds to start).
The worker's STORAGE_ROOT is a temporary folder, and the tests point settings.STORAGE_ROOT at
the same folder so that both sides resolve "no connection" to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.services import connection_create
from flows.models import Flow, Output
from flows.services import email_notification_create, flow_create, plan_override_set, webhook_create
from plans.models import Trigger
from plans.services import plan_create
from runs.models import Job, JobStatus, RunStatus
from runs.services import run_plan
from tests.conftest import WorkerProcess, dedicated_worker
from tests.fakes.http_server import HttpPeer, verify_signature
from tests.fakes.moto import reset_moto, s3_secrets, s3_settings
from tests.fakes.smtp import SmtpPeer
from tests.helpers import wait_for_run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SALES_CSV = """id,day,category,region,amount,customer
1,2024-01-01,books,eu,10.5,ann
2,2024-01-01,games,us,20.0,bob
3,2024-01-02,books,us,7.25,ann
4,2024-01-02,music,eu,3.0,cid
5,2024-01-03,games,eu,42.0,bob
"""


@pytest.fixture(scope="module")
def storage_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flow-storage")
    (root / "data").mkdir()
    (root / "data" / "sales.csv").write_text(SALES_CSV)
    return root


@pytest.fixture(scope="module")
def peer() -> Iterator[HttpPeer]:
    with HttpPeer() as http:
        yield http


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpPeer]:
    with SmtpPeer() as smtp:
        yield smtp


@pytest.fixture(scope="module")
def flow_worker(
    django_db_setup: None,
    storage_root: Path,
    mailbox: SmtpPeer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    with dedicated_worker(
        tmp_path_factory.mktemp("flow-worker") / "worker.log",
        {"STORAGE_ROOT": str(storage_root), "EMAIL_URL": f"smtp://127.0.0.1:{mailbox.port}"},
        concurrency=2,
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def _same_storage_root(settings: Any, storage_root: Path) -> None:
    settings.STORAGE_ROOT = storage_root


def sales_flow(owner: Any, name: str = "Sales", **overrides: Any) -> Flow:
    """A flow over data/sales.csv: parameter region (default eu), recipe by_region (filter on
    $region, derive a doubled amount), outputs regional (csv, path with {region}) and totals."""
    definition: dict[str, Any] = {
        "parameters": [{"name": "region", "type": "string", "default": "eu"}],
        "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
        "recipes": [
            {
                "name": "by_region",
                "source": {"dataset": "sales"},
                "steps": [
                    {"kind": "filter", "expression": "region = $region"},
                    {"kind": "derive", "column": "double", "expression": "amount * 2"},
                ],
            },
            {
                "name": "totals",
                "source": {"recipe": "by_region"},
                "steps": [
                    {
                        "kind": "aggregate",
                        "group_by": ["category"],
                        "measures": [{"name": "total", "fn": "sum", "column": "amount"}],
                    }
                ],
            },
        ],
        "outputs": [
            {
                "name": "regional",
                "recipe": "by_region",
                "path": "out/{region}/sales.csv",
                "format": "csv",
            },
            {
                "name": "totals",
                "recipe": "totals",
                "path": "out/totals.parquet",
                "format": "parquet",
            },
        ],
    }
    definition.update(overrides)
    return flow_create(owner=owner, name=name, definition=definition)


def flow_plan(owner: Any, flow: Flow, outputs: list[str] | None = None, name: str = "P") -> Any:
    config: dict[str, Any] = {"flow": flow.pk}
    if outputs is not None:
        config["outputs"] = outputs
    return plan_create(
        owner=owner, name=name, tasks=[{"name": "build", "type": "flow", "config": config}]
    )


def only_job(run: Any) -> Job:
    (job,) = run.jobs.all()
    return job


def test_it_builds_the_selected_output_through_a_plan_and_records_it(
    user: Any, storage_root: Path, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(user)
    plan = flow_plan(user, flow, outputs=["regional"])

    run = wait_for_run(run_plan(plan=plan, source="manual", requested_by=user).pk)

    job = only_job(run)
    assert run.status == RunStatus.SUCCEEDED, (job.error, flow_worker.log()[-3000:])
    written = storage_root / "out" / "eu" / "sales.csv"
    assert written.read_text().splitlines()[0] == "id,day,category,region,amount,customer,double"
    assert len(written.read_text().splitlines()) == 4
    assert not (storage_root / "out" / "totals.parquet").exists(), "an unselected output was built"
    (output,) = job.result["outputs"]
    assert output["name"] == "regional"
    assert output["path"] == "out/eu/sales.csv"
    assert output["format"] == "csv"
    assert output["rowCount"] == 3
    assert output["sizeBytes"] == written.stat().st_size
    assert {"name": "double", "type": "DOUBLE"} in output["columns"]
    assert [row["id"] for row in output["preview"]] == [1, 4, 5]
    assert job.result["parameters"] == {"region": {"value": "eu", "source": "flow default"}}
    log = "\n".join(job.log_lines.values_list("message", flat=True))
    assert "by_region" in log and "filter" in log and "rows" in log


def test_parameters_take_flow_default_then_plan_then_trigger_then_run(
    user: Any, storage_root: Path, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(
        user,
        name="Layers",
        parameters=[
            {"name": name, "type": "string", "default": f"{name}-default"}
            for name in ("a", "b", "c", "d")
        ],
        recipes=[{"name": "by_region", "source": {"dataset": "sales"}, "steps": []}],
        outputs=[
            {
                "name": "regional",
                "recipe": "by_region",
                "path": "layers/{a}.{b}.{c}.{d}.csv",
                "format": "csv",
            }
        ],
    )
    plan = flow_plan(user, flow)
    for name in ("b", "c", "d"):
        plan_override_set(plan=plan, flow=flow, name=name, value=f"{name}-plan")
    trigger = Trigger.objects.create(
        plan=plan,
        name="nightly",
        kind="cron",
        cron="0 3 * * *",
        parameter_overrides={"Layers": {"c": "c-trigger", "d": "d-trigger"}},
    )

    run = run_plan(
        plan=plan,
        source="schedule",
        trigger=trigger,
        scheduled_for=timezone.now(),
        parameter_overrides={"Layers": {"d": "d-run"}},
    )
    run = wait_for_run(run.pk)

    job = only_job(run)
    assert run.status == RunStatus.SUCCEEDED, job.error
    assert job.result["parameters"] == {
        "a": {"value": "a-default", "source": "flow default"},
        "b": {"value": "b-plan", "source": "plan"},
        "c": {"value": "c-trigger", "source": "trigger"},
        "d": {"value": "d-run", "source": "run"},
    }
    assert (storage_root / "layers" / "a-default.b-plan.c-trigger.d-run.csv").is_file()


def test_an_injection_value_is_only_compared_as_text(
    user: Any, storage_root: Path, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(user, name="Injection", outputs=[
        {"name": "regional", "recipe": "by_region", "path": "inj/out.csv", "format": "csv"}
    ])  # fmt: skip
    plan = flow_plan(user, flow)
    value = "x'; DROP TABLE t; --"

    run = wait_for_run(
        run_plan(plan=plan, source="api", parameter_overrides={"Injection": {"region": value}}).pk
    )

    job = only_job(run)
    assert run.status == RunStatus.SUCCEEDED, job.error
    assert job.result["outputs"][0]["rowCount"] == 0
    assert job.result["parameters"]["region"] == {"value": value, "source": "run"}
    assert (storage_root / "data" / "sales.csv").read_text() == SALES_CSV


def test_a_path_escaping_value_fails_the_job_and_touches_nothing(
    user: Any, storage_root: Path, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(user, name="Escape")
    plan = flow_plan(user, flow, outputs=["regional"])

    run = wait_for_run(
        run_plan(
            plan=plan, source="api", parameter_overrides={"Escape": {"region": "../../etc/passwd"}}
        ).pk
    )

    job = only_job(run)
    assert run.status == RunStatus.FAILED
    assert job.status == JobStatus.FAILED
    assert "'../../etc/passwd'" in job.error and "cannot be used in a path" in job.error
    assert not (storage_root.parent / "etc").exists()
    assert sorted(p.name for p in storage_root.iterdir()) <= ["data", "inj", "layers", "out"]


def test_a_missing_input_file_fails_the_job_naming_the_path(
    user: Any, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(
        user,
        name="Missing",
        datasets=[{"name": "sales", "path": "data/nowhere/sales-2024.csv", "format": "csv"}],
    )
    plan = flow_plan(user, flow)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    job = only_job(run)
    assert job.status == JobStatus.FAILED
    assert "data/nowhere/sales-2024.csv" in job.error
    assert "data/nowhere/sales-2024.csv" in run.error


def test_a_selected_output_deleted_after_the_run_was_created_fails_clearly(
    user: Any, flow_worker: WorkerProcess
) -> None:
    flow = sales_flow(user, name="Shrinking")
    plan = flow_plan(user, flow, outputs=["totals"])

    with transaction.atomic():  # the run is enqueued on commit, after the output is gone
        run = run_plan(plan=plan, source="manual")
        Output.objects.filter(flow=flow, name="totals").delete()
    run = wait_for_run(run.pk)

    job = only_job(run)
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "Output 'totals' of flow 'Shrinking' was deleted after this run was created."
    )


def test_webhooks_are_signed_name_the_plan_and_a_failing_one_does_not_fail_the_job(
    user: Any, peer: HttpPeer, mailbox: SmtpPeer, flow_worker: WorkerProcess
) -> None:
    peer.route("/hook", status=200)
    peer.route("/broken", status=500)
    flow = sales_flow(user, name="Notifying")
    webhook_create(
        flow=flow,
        name="warehouse",
        url=peer.url("/hook"),
        body=json.dumps(
            {
                "flow": "{{$flow.name}}",
                "flowId": "{{$flow.id}}",
                "job": "{{$job.id}}",
                "status": "{{$job.status}}",
                "jobUrl": "{{$job.url}}",
                "output": "{{$output.name}}",
                "path": "{{$output.path}}",
                "rows": "{{$output.rowCount}}",
                "plan": "{{$plan.id}}",
                "planRun": "{{$plan.runId}}",
                "planUrl": "{{$plan.url}}",
            }
        ),
        headers={"Content-Type": "application/json"},
        outputs=["regional"],
        secret_key="whsec-flow-1",
    )
    webhook_create(flow=flow, name="broken", url=peer.url("/broken"), retries=0)
    email_notification_create(flow=flow, on_success=["data@example.com"], on_failure=["x@e.com"])
    plan = flow_plan(user, flow, name="Nightly sales")
    before = len(mailbox.received)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    job = only_job(run)
    assert run.status == RunStatus.SUCCEEDED, job.error
    (call,) = peer.requests_to("/hook")
    assert verify_signature("whsec-flow-1", call.headers, call.body)
    body = json.loads(call.body)
    assert body == {
        "flow": "Notifying",
        "flowId": str(flow.pk),
        "job": str(job.pk),
        "status": "succeeded",
        "jobUrl": f"{settings.SITE_URL}/jobs/{job.pk}/",
        "output": "regional",
        "path": "out/eu/sales.csv",
        "rows": "3",
        "plan": str(plan.pk),
        "planRun": str(run.pk),
        "planUrl": f"{settings.SITE_URL}/runs/{run.pk}/",
    }
    assert len(peer.requests_to("/broken")) == 2, "one call per output of the job"
    webhooks = job.result["webhooks"]
    assert {(w["name"], w["output"], w["status"]) for w in webhooks} == {
        ("warehouse", "regional", "sent"),
        ("broken", "regional", "failed"),
        ("broken", "totals", "failed"),
    }
    assert all("500" in w["error"] for w in webhooks if w["status"] == "failed")

    mail = mailbox.wait_for_messages(before + 1)[before]
    text = mail.get_payload()
    assert mail["To"] == "data@example.com"
    assert "Notifying" in mail["Subject"]
    assert "regional: 3 rows" in text and "totals: 3 rows" in text
    assert f"/jobs/{job.pk}/" in text
    assert f"Plan: #{plan.pk}" in text and f"/runs/{run.pk}/" in text
    assert job.result["emails"] == [{"to": ["data@example.com"], "status": "sent", "error": ""}]


def test_it_reads_and_writes_s3_through_the_worker(
    user: Any, moto_server: str, flow_worker: WorkerProcess
) -> None:
    import boto3

    reset_moto(moto_server)
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id=s3_secrets()["accessKeyId"],
        aws_secret_access_key=s3_secrets()["secretAccessKey"],
    )
    s3.create_bucket(Bucket="lake")
    s3.put_object(Bucket="lake", Key="raw/sales/2024.csv", Body=SALES_CSV.encode())
    connection = connection_create(
        name="lake",
        kind="s3",
        settings=s3_settings(moto_server, "lake"),
        secrets=s3_secrets(),
        owner=user,
    )
    flow = sales_flow(
        user,
        name="Lake",
        datasets=[
            {"name": "sales", "connection": connection, "path": "raw/sales/*.csv", "format": "csv"}
        ],
        outputs=[
            {
                "name": "regional",
                "recipe": "by_region",
                "connection": connection,
                "path": "curated/{region}.parquet",
                "format": "parquet",
            }
        ],
    )
    plan = flow_plan(user, flow)

    run = wait_for_run(run_plan(plan=plan, source="manual").pk)

    job = only_job(run)
    assert run.status == RunStatus.SUCCEEDED, job.error
    assert job.result["outputs"][0]["path"] == "s3://lake/curated/eu.parquet"
    assert job.result["outputs"][0]["rowCount"] == 3
    head = s3.head_object(Bucket="lake", Key="curated/eu.parquet")
    assert head["ContentLength"] == job.result["outputs"][0]["sizeBytes"]


def test_run_flow_makes_an_ad_hoc_job_that_appears_in_job_history(
    client: Any, staff_user: Any, peer: HttpPeer, storage_root: Path, flow_worker: WorkerProcess
) -> None:
    from django.urls import reverse

    from tests.helpers import wait_until

    peer.route("/adhoc", status=204)
    flow = sales_flow(staff_user, name="By hand")
    webhook_create(
        flow=flow,
        name="ping",
        url=peer.url("/adhoc"),
        body='{"plan": "{{$plan.id}}", "rows": {{$output.rowCount}}}',
        outputs=["totals"],
    )
    client.force_login(staff_user)

    response = client.post(reverse("flows:run", args=[flow.pk]))

    job = Job.objects.get(task_type="flow", run__isnull=True)
    assert response.status_code == 302
    job = wait_until(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        what="the ad-hoc job to end",
    )
    assert job.status == JobStatus.SUCCEEDED, (job.error, flow_worker.log()[-2000:])
    assert [o["name"] for o in job.result["outputs"]] == ["regional", "totals"]
    assert job.result["parameters"]["region"]["source"] == "flow default"
    assert json.loads(peer.requests_to("/adhoc")[-1].body) == {"plan": "", "rows": 3}
    history = client.get(reverse("runs:jobs")).content.decode()
    assert f"/jobs/{job.pk}/" in history
    details = client.get(reverse("runs:job", args=[job.pk])).content.decode()
    assert "rowCount" in details and "Finished: succeeded" in details
