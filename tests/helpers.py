"""Small helpers for tests that wait on real workers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from runs.models import PlanRun

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], *, timeout: float = 30, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll `check` until it returns something truthy; fail the test with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(interval)


def wait_for_run(
    run_id: int,
    *,
    statuses: Iterable[str] = ("succeeded", "failed", "canceled"),
    timeout: float = 30,
) -> PlanRun:
    """Wait until the run reaches one of `statuses`; returns it fresh from the database."""
    from runs.models import PlanRun

    wanted = set(statuses)

    def check() -> PlanRun | None:
        run = PlanRun.objects.get(pk=run_id)
        return run if run.status in wanted else None

    return wait_until(check, timeout=timeout, what=f"run {run_id} to reach {sorted(wanted)}")


def child_pids(pid: int, *, recursive: bool = False) -> set[int]:
    """The processes `pid` started (read from /proc), and with `recursive` theirs too."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # it ended while we looked
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            if recursive:
                todo.append(child)
    return found
