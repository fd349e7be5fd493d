"""`manage.py devserver` (what `make run` starts): web, worker and beat come up together and
go down together, also when whatever started it dies without passing a signal on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import child_pids, wait_until

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def embedded_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The embedded defaults (SQLite and the filesystem broker) in a folder of the test's own."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(PLANS_VAR_DIR=str(tmp_path / "var"), PORT=str(_free_port()), LOG_LEVEL="WARNING")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO, env=env, check=True, timeout=120,
    )  # fmt: skip
    yield env


class Processes:
    """Commands started by a test; `kill_all` kills them and every process they started."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[subprocess.Popen[bytes]] = []
        self.seen: set[int] = set()

    def __call__(self, command: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.started.append(process)
        return process

    def remember(self) -> None:
        """Note the descendants now: once orphaned they can no longer be found by parent."""
        for process in self.started:
            self.seen.update(child_pids(process.pid, recursive=True))

    def kill_all(self) -> None:
        self.remember()
        for process in self.started:
            process.kill()
            process.wait()
        for pid in self.seen:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def start(embedded_env: dict[str, str]) -> Iterator[Processes]:
    processes = Processes(embedded_env)
    yield processes
    processes.kill_all()


def test_it_serves_and_a_sigterm_stops_web_worker_and_beat(
    embedded_env: dict[str, str], start: Processes
) -> None:
    server = start([sys.executable, "manage.py", "devserver"])
    wait_until(lambda: _healthy(int(embedded_env["PORT"])), timeout=60, what="/health/")
    # web, worker (with its pool) and beat
    family = wait_until(
        lambda: found if len(found := child_pids(server.pid, recursive=True)) >= 4 else None,
        what="all services",
    )
    start.remember()

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    wait_until(lambda: not any(_alive(pid) for pid in family), what="the services to stop")


def test_it_stops_everything_when_its_parent_is_killed(
    embedded_env: dict[str, str], start: Processes
) -> None:
    # `make run` killed with SIGKILL (or by a supervisor's timeout) does not pass a signal on.
    parent = start(["sh", "-c", f"{sys.executable} manage.py devserver; true"])
    wait_until(lambda: _healthy(int(embedded_env["PORT"])), timeout=60, what="/health/")
    family = wait_until(
        lambda: found if len(found := child_pids(parent.pid, recursive=True)) >= 5 else None,
        what="all services",
    )
    start.remember()

    parent.kill()
    parent.wait()
    wait_until(
        lambda: not any(_alive(pid) for pid in family),
        timeout=30,
        what="devserver and its services to stop",
    )
    assert not _healthy(int(embedded_env["PORT"]))
