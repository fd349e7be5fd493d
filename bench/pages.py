"""How long the pages take to render and how many queries they make, with a long history.

    .venv/bin/python bench/pages.py [--tasks 20] [--runs 300] [--requests 15]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plans_bench .venv/bin/python bench/pages.py

Builds a plan of N tasks (with on-failure and always branches) and R ended runs of it, then
asks each page through Django's test client (in process: no network, no browser) and prints
the median and p95 server time, the number of queries and the size of the HTML. Also times
the plan graph's layout for 50 and 200 tasks. Uses a temporary var/ folder for SQLite; with
DATABASE_URL at PostgreSQL it creates the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _ensure_postgres_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.replace(f"/{name}", "/postgres", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(tasks: int, runs: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from plans.services import plan_create
    from runs.models import Job, JobStatus, PlanRun, RunStatus
    from runs.services import run_plan

    user = get_user_model().objects.create_superuser(f"bench{time.time_ns()}", "", "pw")
    definitions: list[dict[str, Any]] = []
    for i in range(tasks):
        task: dict[str, Any] = {
            "name": f"Step {i} of the nightly export",
            "ref": f"step_{i}",
            "type": "http",
            "config": {"url": f"http://127.0.0.1:9/{i}", "method": "POST", "body": "{}"},
        }
        if i and i % 7 == 0:  # a branch every seventh task
            task.update(runWhen="onFailure", upstream=[f"step_{i - 1}"])
        elif i and i % 7 == 1 and i > 1:
            task.update(runWhen="always", upstream=[f"step_{i - 2}", f"step_{i - 1}"])
        definitions.append(task)
    plan = plan_create(owner=user, name=f"bench {time.time_ns()}", tasks=definitions)
    now = timezone.now()
    for number in range(runs):
        run = run_plan(plan=plan, source="manual", enqueue=False)
        start = now - timedelta(minutes=runs - number)
        failed = number % 9 == 0
        PlanRun.objects.filter(pk=run.pk).update(
            created_at=start,
            started_at=start,
            finished_at=start + timedelta(seconds=20),
            status=RunStatus.FAILED if failed else RunStatus.SUCCEEDED,
        )
        Job.objects.filter(run=run).update(
            created_at=start,
            status=JobStatus.SUCCEEDED,
            started_at=start,
            finished_at=start + timedelta(seconds=1),
            result={"statusCode": 200},
        )
    last = PlanRun.objects.filter(plan=plan).order_by("-created_at").first()
    assert last is not None
    job = last.jobs.order_by("position").first()
    assert job is not None
    return {"user": user, "plan": plan, "run": last, "job": job}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("PLANS_VAR_DIR", tempfile.mkdtemp(prefix="plans-bench-"))
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        _ensure_postgres_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from plans.graph.layout import layered_layout
    from runs.keyset import encode
    from runs.models import PlanRun

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    data = build(args.tasks, args.runs)
    built = time.monotonic() - started
    plan, run, job = data["plan"], data["run"], data["job"]
    client = Client()
    client.force_login(data["user"])
    fiftieth = PlanRun.objects.order_by("-created_at", "-id")[49]
    older = encode(fiftieth.created_at, fiftieth.pk)
    pages = {
        "plans list": "/plans/",
        "plans list (live part)": "/plans/live/",
        "Plan View": f"/plans/{plan.pk}/",
        "Plan View runs (live part)": f"/plans/{plan.pk}/runs/",
        "Run Details": f"/runs/{run.pk}/",
        "Run Details (live part)": f"/runs/{run.pk}/jobs/",
        "Plan Runs": "/runs/",
        "Plan Runs, 2nd page": f"/runs/?after={older}",
        "Plan Runs, by plan and status": f"/runs/?plan={plan.pk}&status=failed",
        "Job History": "/jobs/",
        "Job History, by plan and dates": f"/jobs/?plan={plan.pk}&since=2000-01-01",
        "Job Details": f"/jobs/{job.pk}/",
        "admin plan page": f"/admin/plans/plan/{plan.pk}/change/",
    }
    db = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    print(
        f"{args.tasks}-task plan, {args.runs} runs ({args.runs * args.tasks} jobs), db={db}, "
        f"built in {built:.0f} s; {args.requests} requests per page, server time in process"
    )
    for label, url in pages.items():
        for _ in range(2):
            client.get(url)
        times = []
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as queries:
                begun = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"  {label:32s} p50 {statistics.median(times):6.1f} ms   p95 {pct(times, 95):6.1f} ms"
            f"   {len(queries):3d} queries   {len(response.content) / 1024:6.0f} KiB"
        )
    for size in (50, 200):
        chain = [(f"t{i}", [f"t{i - 1}"] if i else []) for i in range(size)]
        branchy = [
            (
                f"t{i}",
                [f"t{j}" for j in (i - 1, i - 3) if j >= 0]
                if i % 4
                else [f"t{i // 2}"]
                if i
                else [],
            )
            for i in range(size)
        ]
        for name, graph in (("chain", chain), ("branching", branchy)):
            begun = time.perf_counter()
            layered_layout(graph)
            print(
                f"  layout of a {size}-task {name:9s} {(time.perf_counter() - begun) * 1000:6.1f} ms"
            )


if __name__ == "__main__":
    main()
