"""What one flow run may use, and stopping it: a cancel event and a time limit.

DuckDB runs a query in its own threads with the GIL released, so a Python-side check cannot
stop a long query: `Stopper.watching(con)` runs a small thread that calls
`connection.interrupt()` as soon as the cancel event is set or the deadline passes. DuckDB
forgets an interrupt when its next query starts, so the thread keeps interrupting until the
block ends, and the engine also calls `Stopper.check()` before each query and between files
(staging inputs, publishing outputs), where no query runs.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from flows.engine.errors import FlowCanceled, FlowStopped, FlowTimedOut

DEFAULT_MAX_SECONDS = 3600
# Several Celery workers may run flows on one machine: DuckDB's own defaults (80% of RAM, one
# thread per core, 90% of the free disk for spilling) let one flow take the whole machine.
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
DEFAULT_MAX_TEMP_SIZE = "10GB"
# How often the watcher looks at the cancel event and the clock, and re-sends an interrupt.
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class RunLimits:
    """Caps of one run. `max_seconds` None means no time limit; sizes use DuckDB's syntax
    ("512MB", "10GB"). `max_temp_directory_size` caps what DuckDB spills to the run's work
    folder beyond `memory_limit`; a run that needs more fails with DuckDB's message."""

    max_seconds: float | None = DEFAULT_MAX_SECONDS
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = DEFAULT_THREADS
    max_temp_directory_size: str = DEFAULT_MAX_TEMP_SIZE


class Stopper:
    """Decides whether a run must stop: its `cancel` event is set, or `max_seconds` passed
    since it was made. The first reason found sticks, so a run canceled after its deadline
    (or the other way round) reports one consistent outcome."""

    def __init__(self, cancel: threading.Event | None, max_seconds: float | None) -> None:
        self.cancel = cancel
        self.max_seconds = max_seconds
        self.deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self._reason: FlowStopped | None = None
        self._lock = threading.Lock()

    def reason(self) -> FlowStopped | None:
        """Why the run must stop (FlowCanceled or FlowTimedOut), or None while it may go on."""
        with self._lock:
            if self._reason is None:
                if self.cancel is not None and self.cancel.is_set():
                    self._reason = FlowCanceled("Canceled.")
                elif self.deadline is not None and time.monotonic() >= self.deadline:
                    self._reason = FlowTimedOut(
                        f"Stopped: the flow ran longer than its time limit of "
                        f"{self.max_seconds:g} s."
                    )
            return self._reason

    def check(self) -> None:
        """Raise FlowCanceled or FlowTimedOut when the run must stop."""
        reason = self.reason()
        if reason is not None:
            raise reason

    @contextlib.contextmanager
    def watching(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Interrupt `con`'s queries for as long as the block runs once the run must stop."""
        done = threading.Event()

        def watch() -> None:
            while not done.wait(_POLL_SECONDS):
                if self.reason() is not None:
                    con.interrupt()

        watcher = threading.Thread(target=watch, name="flow-stopper", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
