"""How long a three-task HTTP plan takes end to end, through a real worker.

    .venv/bin/python bench/run_latency.py [--runs 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plans_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \
        .venv/bin/python bench/run_latency.py

Prints, over N sequential runs: total time from run_plan() to the run's end, queue wait (created
to first job start), the gap between one job's end and the next job's start, and per-job overhead
(job duration minus the 0 ms the local server takes to answer). Uses a temporary var/ folder for
SQLite and the filesystem broker; with DATABASE_URL at PostgreSQL it creates the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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


class _Quick(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="plans-bench-")
    os.environ.setdefault("PLANS_VAR_DIR", var)
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-{os.getpid()}"
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        _ensure_postgres_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from plans.services import plan_create
    from runs.models import PlanRun
    from runs.services import run_plan

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quick)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    user, _ = get_user_model().objects.get_or_create(username="bench")
    plan = plan_create(
        owner=user,
        name=f"bench {time.time()}",
        tasks=[
            {"name": f"t{i}", "type": "http", "config": {"method": "POST", "url": url}}
            for i in range(3)
        ],
    )
    worker_log = (Path(var) / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orchestration_site", "worker", "-l", "warning", "-c", "2",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO, env=dict(os.environ), stdout=worker_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        warm = run_plan(plan=plan, source="manual")
        while PlanRun.objects.get(pk=warm.pk).is_active:
            time.sleep(0.05)
        totals, waits, gaps, overheads = [], [], [], []
        for _ in range(args.runs):
            started = time.monotonic()
            run = run_plan(plan=plan, source="manual")
            while PlanRun.objects.get(pk=run.pk).is_active:
                time.sleep(0.005)
            totals.append(time.monotonic() - started)
            run.refresh_from_db()
            jobs = list(run.jobs.order_by("position"))
            waits.append((jobs[0].started_at - run.created_at).total_seconds())
            gaps += [(b.started_at - a.finished_at).total_seconds() for a, b in zip(jobs, jobs[1:])]  # noqa: B905, RUF007
            overheads += [(j.finished_at - j.started_at).total_seconds() for j in jobs]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()
        server.shutdown()
    db = os.environ.get("DATABASE_URL", "sqlite")
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    print(
        f"three-task HTTP plan, {args.runs} runs, db={db.split(':')[0]}, broker={broker.split(':')[0]}"
    )
    for label, values in (
        ("end to end", totals),
        ("queue wait (created -> first job start)", waits),
        ("gap between jobs", gaps),
        ("job duration (local server, ~0 ms)", overheads),
    ):
        ms = [v * 1000 for v in values]
        print(
            f"  {label:42s} p50 {statistics.median(ms):7.1f} ms   p95 {pct(ms, 95):7.1f} ms   max {max(ms):7.1f} ms"
        )


if __name__ == "__main__":
    main()
