"""The execution side of a task type: what the job runner hands it and what it gives back.

A task type (see `plans.task_types`) that can run subclasses `ExecutableTaskType` and
implements `run(spec, context)`. A failure the user can act on is raised as
`core.errors.TaskError` (or returned as a failed `ExecutionResult`); anything else is an
internal error the runner records with its traceback in the job's log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from plans.task_types import TaskType

Outcome = Literal["succeeded", "failed", "canceled"]


@dataclass
class ExecutionResult:
    """The outcome of one job. `result` must be JSON-serialisable and hold no secret."""

    status: Outcome
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class ExecutionContext:
    """Everything an executor may use besides its spec.

    `render` fills metadata references in a string (raising on a reference it cannot fill);
    `secret` returns the decrypted value of one of the task's secret fields, or None.
    `cancel` is set when the run (or the ad-hoc job) is canceled; long waits must watch it.
    `run_id` is None for a job outside any run (an ad-hoc flow run).
    """

    job_id: int
    run_id: int | None
    log: Callable[[str], None]
    render: Callable[[str], str]
    secret: Callable[[str], str | None]
    cancel: threading.Event
    # The snapshot's plan entry and the snapshot's data of this task's type (`snapshot_data`).
    plan: Mapping[str, Any] = field(default_factory=dict)
    type_data: Any = None
    # The run's (or the ad-hoc job's) own parameter overrides.
    parameters: Mapping[str, Any] = field(default_factory=dict)


class ExecutableTaskType(TaskType):
    """A task type the engine can execute."""

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        raise NotImplementedError
