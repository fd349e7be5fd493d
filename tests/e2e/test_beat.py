"""Real `celery beat` (DatabaseScheduler) and `celery worker` subprocesses firing triggers.

Runs against whatever the session uses: PostgreSQL + Redis, or SQLite + the filesystem broker.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from plans.models import Plan, Trigger
from plans.services import plan_create, plan_delete
from plans.triggers.services import trigger_create, trigger_set_enabled
from runs.models import PlanRun
from tests.conftest import REPO, subprocess_env
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class BeatProcess:
    """A stock `celery beat` with django-celery-beat's DatabaseScheduler, checking the database
    every second (`--max-interval 1`) so schedule changes are seen quickly."""

    def __init__(self, workdir: Path) -> None:
        # What `migrate` guarantees in production (see plans.triggers.receivers), undone here by
        # the flush between transactional tests: without the row, beat misses the first change.
        PeriodicTasks.objects.get_or_create(ident=1, defaults={"last_update": datetime.now(UTC)})
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "beat.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "orchestration_site", "beat", "-l", "debug",
                "-s", str(workdir / "celerybeat-schedule"), "--pidfile", str(workdir / "beat.pid"),
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval", "1",
            ],
            cwd=REPO,
            env=subprocess_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        # After its first tick (logged at debug level), beat has read the change marker; a
        # change made before that would be missed until beat's 5-minute full reload.
        wait_until(
            lambda: "beat: Waking up" in self.log() or self.process.poll() is not None,
            timeout=30,
            what="celery beat's first tick",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"celery beat exited early:\n{self.log()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def start_beat(tmp_path: Path) -> Iterator[Callable[[], BeatProcess]]:
    started: list[BeatProcess] = []

    def start() -> BeatProcess:
        beat = BeatProcess(tmp_path / f"beat{len(started)}")
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.stop()


@pytest.fixture
def quick_plan(user: Any, http_peer: Any) -> Plan:
    http_peer.route("/ping", status=200, body=b"{}")
    return plan_create(
        owner=user,
        name="Ping",
        tasks=[
            {
                "name": "Ping",
                "type": "http",
                "config": {"method": "GET", "url": http_peer.url("/ping")},
            }
        ],
    )


def _runs(trigger: Trigger) -> list[PlanRun]:
    return list(PlanRun.objects.filter(trigger=trigger).order_by("scheduled_for"))


def _assert_one_run_per_slot(runs: list[PlanRun], period: timedelta) -> None:
    slots = [run.scheduled_for for run in runs]
    assert len(set(slots)) == len(slots)
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert all(gap == period for gap in gaps), f"missed slots: {gaps}"


def test_beat_fires_an_interval_trigger_stops_when_disabled_and_resumes(
    celery_worker_process: Any, start_beat: Callable[[], BeatProcess], quick_plan: Plan
) -> None:
    beat = start_beat()
    trigger = trigger_create(
        plan=quick_plan, name="Every 2 s", kind="interval", every=2, unit="seconds"
    )
    time.sleep(9)
    assert len(_runs(trigger)) >= 3, beat.log()[-3000:] + celery_worker_process.log()[-3000:]

    trigger_set_enabled(trigger=trigger, enabled=False)
    disabled_at = datetime.now(UTC)
    time.sleep(7)
    runs = _runs(trigger)
    assert all(run.created_at <= disabled_at + timedelta(seconds=5) for run in runs)

    trigger_set_enabled(trigger=trigger, enabled=True)
    enabled_at = datetime.now(UTC)
    wait_until(
        lambda: PlanRun.objects.filter(trigger=trigger, created_at__gt=enabled_at).exists(),
        timeout=10,
        what="a run after re-enabling",
    )
    runs = _runs(trigger)
    # Nothing was caught up for the slots that passed while the trigger was off.
    assert not any(r.late for r in runs)
    assert not any(disabled_at + timedelta(seconds=5) < r.scheduled_for < enabled_at for r in runs)

    plan_delete(plan=quick_plan)
    assert not PeriodicTask.objects.filter(name=trigger.periodic_task_name).exists()


def test_two_beats_at_once_make_exactly_one_run_per_slot(
    celery_worker_process: Any, start_beat: Callable[[], BeatProcess], quick_plan: Plan
) -> None:
    start_beat()
    start_beat()
    trigger = trigger_create(
        plan=quick_plan, name="Every 2 s", kind="interval", every=2, unit="seconds"
    )
    time.sleep(20)
    trigger_set_enabled(trigger=trigger, enabled=False)
    time.sleep(1)
    runs = _runs(trigger)
    assert len(runs) >= 8, f"{len(runs)} runs\n" + celery_worker_process.log()[-4000:]
    _assert_one_run_per_slot(runs, timedelta(seconds=2))
    assert runs[0].scheduled_for == trigger.created_at + timedelta(seconds=2)
