"""Benchmark: how late scheduled runs start, with real beat + worker + Redis + PostgreSQL.

    .venv/bin/python bench/schedule_lag.py [--firings 60] [--scheduler django_celery_beat.schedulers:DatabaseScheduler (default: TriggerScheduler)]

Creates (or reuses) the database `plans_bench` on 127.0.0.1, migrates it, starts one
`celery worker` and one `celery beat` (DatabaseScheduler) on a queue of its own, and adds an
interval trigger firing every second to a plan whose single task is an HTTP GET to a local
server. After `--firings` slots it disables the trigger and reports, for each slot from the
first to the last expected one, the lag from `scheduled_for` to the start of the run's first job
(p50, p95, max), and the number of missed slots (no run) and doubled slots (more than one run;
the database forbids it, so this checks the constraint is what stops doubles).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/plans_bench"
BROKER_URL = "redis://127.0.0.1:6379/2"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def _create_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'plans_bench'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE plans_bench")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firings", type=int, default=60)
    parser.add_argument("--scheduler", default="scheduling.scheduler:TriggerScheduler")
    args = parser.parse_args()

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="orchestration_site.settings",
        LOG_LEVEL="WARNING",
    )
    _create_database()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model

    from plans.services import plan_create
    from plans.triggers.services import trigger_create, trigger_set_enabled
    from runs.models import Job, PlanRun

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ping"

    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"schedule_lag_{queue}"
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orchestration_site", "worker", "-l", "warning",
         "-c", "4", "-Q", queue, "-n", f"{queue}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=(workdir / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    beat_log = workdir / "beat.log"
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orchestration_site", "beat", "-l", "debug",
         "-s", str(workdir / "schedule"), "--scheduler", args.scheduler, "--max-interval", "1"],
        cwd=ROOT, env=env, stdout=beat_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "beat: Waking up" not in beat_log.read_text(errors="replace"):
            if time.monotonic() > deadline or beat.poll() is not None:
                raise SystemExit(f"beat did not start:\n{beat_log.read_text()[-3000:]}")
            time.sleep(0.1)
        time.sleep(3)  # let the worker finish starting

        owner, _ = get_user_model().objects.get_or_create(username="bench")
        plan = plan_create(
            owner=owner,
            name=f"Lag bench {queue}",
            tasks=[{"name": "Ping", "type": "http", "config": {"method": "GET", "url": url}}],
        )
        trigger = trigger_create(
            plan=plan, name="Every second", kind="interval", every=1, unit="seconds"
        )
        first_slot = trigger.created_at + timedelta(seconds=1)
        last_slot = first_slot + timedelta(seconds=args.firings - 1)
        print(f"Waiting for {args.firings} firings ({args.scheduler}) ...", flush=True)
        time.sleep(args.firings + 3)
        trigger_set_enabled(trigger=trigger, enabled=False)
        time.sleep(2)

        runs = {
            run.scheduled_for: run
            for run in PlanRun.objects.filter(trigger=trigger, scheduled_for__lte=last_slot)
        }
        counts: dict[object, int] = {}
        for slot in PlanRun.objects.filter(trigger=trigger).values_list("scheduled_for", flat=True):
            counts[slot] = counts.get(slot, 0) + 1
        lags: list[float] = []
        created: list[float] = []
        missed = 0
        late = 0
        for k in range(args.firings):
            slot = first_slot + timedelta(seconds=k)
            run = runs.get(slot)
            if run is None:
                missed += 1
                continue
            late += run.late
            job = Job.objects.filter(run=run).order_by("position").first()
            if job is None or job.started_at is None:
                missed += 1
                continue
            lags.append((job.started_at - slot).total_seconds() * 1000)
            created.append((run.created_at - slot).total_seconds() * 1000)
        doubled = sum(1 for n in counts.values() if n > 1)
        print(f"slots: {args.firings}, runs: {len(lags)}, late (catch-up) runs: {late}")
        if lags:
            print(
                f"lag scheduled_for -> first job start: p50 {statistics.median(lags):.1f} ms, "
                f"p95 {_percentile(lags, 0.95):.1f} ms, max {max(lags):.1f} ms"
            )
            print(
                f"  of which scheduled_for -> run created (beat + fire_trigger): "
                f"p50 {statistics.median(created):.1f} ms, p95 {_percentile(created, 0.95):.1f} ms"
            )
            # The rest: the run's commit, then getting the first job to its claim.
            claimed = [lag - made for lag, made in zip(lags, created, strict=True)]
            print(
                f"  and run created -> first job start: "
                f"p50 {statistics.median(claimed):.1f} ms, p95 {_percentile(claimed, 0.95):.1f} ms"
            )
        print(f"missed slots: {missed}, doubled slots: {doubled}")
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        server.shutdown()


if __name__ == "__main__":
    main()
