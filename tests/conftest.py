"""Shared fixtures: personas, an API client, and a real Celery worker process.

The worker runs as a subprocess against the same test database and broker as the tests
(PostgreSQL + Redis in CI's first pass, SQLite + the filesystem transport in its second), on a
queue of its own so no other worker takes its messages.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from orchestration_site.celery import app as celery_app

pytest_plugins = ["tests.fakes.fixtures", "tests.plan_fixtures"]

REPO = Path(__file__).resolve().parent.parent
# No "plans" in the name: the filesystem transport matches queue names as substrings.
TEST_QUEUE = f"qtest-{uuid.uuid4().hex[:10]}"
celery_app.conf.task_default_queue = TEST_QUEUE
settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database of this session's own, so concurrent test sessions never share one."""
    from pytest_django.fixtures import _set_suffix_to_test_databases

    _set_suffix_to_test_databases(suffix=f"p{os.getpid()}")


# --- personas -------------------------------------------------------------------------


@pytest.fixture
def user(django_user_model: Any) -> Any:
    """The owner: plans in tests belong to this user unless said otherwise."""
    return django_user_model.objects.create_user("owner", "owner@example.com", "owner-password-1")


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    """An outsider, who must see nothing of the owner's."""
    return django_user_model.objects.create_user(
        "outsider", "outsider@example.com", "outsider-password-1"
    )


@pytest.fixture
def viewer(django_user_model: Any) -> Any:
    """A collaborator: the tests share the owner's plan with them as a viewer."""
    return django_user_model.objects.create_user(
        "viewer", "viewer@example.com", "viewer-password-1"
    )


@pytest.fixture
def editor(django_user_model: Any) -> Any:
    """A collaborator: the tests share the owner's plan with them as an editor."""
    return django_user_model.objects.create_user(
        "editor", "editor@example.com", "editor-password-1"
    )


@pytest.fixture
def share() -> Callable[..., Any]:
    """`share(plan, user, role="viewer")`: a PlanShare made through `plan_share`."""
    from plans.services import ShareInvitation, plan_share

    def make(plan: Any, user: Any, role: str = "viewer") -> Any:
        invitation = ShareInvitation(who=user.get_username(), role=role, by="username")
        return plan_share(plan=plan, invitations=[invitation], shared_by=plan.owner)[0]

    return make


@pytest.fixture
def staff_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser(
        "admin", "admin@example.com", "admin-password-1"
    )


@pytest.fixture
def api_client() -> Callable[[Any], Any]:
    """`api_client(user)` -> a DRF APIClient sending a fresh Bearer token of that user."""
    from rest_framework.test import APIClient

    from api.services import token_create

    def make(for_user: Any) -> APIClient:
        _, raw = token_create(user=for_user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


# --- a real worker --------------------------------------------------------------------


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a worker or beat subprocess sharing this test session's DB and broker."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=TEST_QUEUE,
        SITE_URL=settings.SITE_URL,
        STORAGE_ROOT=str(settings.STORAGE_ROOT),
        PLANS_SECRET_KEYS=",".join(settings.PLANS_SECRET_KEYS),
        SECRET_KEY=settings.SECRET_KEY,
        JOB_HEARTBEAT_SECONDS=str(settings.JOB_HEARTBEAT_SECONDS),
        SLACK_API_URL=settings.SLACK_API_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class WorkerProcess:
    """A `celery worker` subprocess; `log()` returns what it printed so far (for failures)."""

    def __init__(
        self, log_path: Path, extra_env: dict[str, str], concurrency: int, queue: str = TEST_QUEUE
    ) -> None:
        self.log_path = log_path
        self.queue = queue
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "orchestration_site", "worker",
                "-l", "info", "-c", str(concurrency), "-Q", queue,
                "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=REPO,
            # The worker sends the rest of each chain to its own queue too.
            env=subprocess_env(CELERY_TASK_DEFAULT_QUEUE=queue, **extra_env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_ready()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout} s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One real worker for the session (prefork, 3 processes). Use it with `transactional_db`,
    so the rows a test writes are committed and visible to the worker."""
    worker = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log", {}, concurrency=3)
    yield worker
    worker.stop()
    _purge_test_queue()


@contextlib.contextmanager
def dedicated_worker(
    log_path: Path, extra_env: dict[str, str] | None = None, concurrency: int = 2
) -> Iterator[WorkerProcess]:
    """A worker of its own (say, with other environment) on a queue of its own; while the block
    runs, this process sends new chains to that queue, so the session worker never takes them."""
    queue = f"{TEST_QUEUE}-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(log_path, extra_env or {}, concurrency, queue=queue)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous
        worker.stop()


@pytest.fixture
def start_celery_worker(
    django_db_setup: None, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """`start_celery_worker(SOME_ENV="x")` -> a dedicated worker (see `dedicated_worker`) for this test."""
    with contextlib.ExitStack() as stack:

        def start(concurrency: int = 2, **extra_env: str) -> WorkerProcess:
            log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
            return stack.enter_context(dedicated_worker(log, extra_env, concurrency))

        yield start


def _purge_test_queue() -> None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(TEST_QUEUE)
    except Exception:  # best effort: the queue is throwaway
        pass
