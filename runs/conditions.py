"""Whether a job runs, from its task's `runWhen` and its upstream jobs' outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from runs.models import JobStatus


def skip_reason(run_when: str, upstream_statuses: Sequence[str]) -> str | None:
    """None when the task should run; otherwise why it is skipped.

    onSuccess: every upstream task succeeded (no upstream: runs).
    onFailure: some upstream task failed.
    always: every upstream task has ended, whatever the outcome (jobs run in order, so they have).
    An onSuccess/onFailure task whose upstream tasks were all skipped is skipped.
    """
    if run_when == "always":
        return None
    if upstream_statuses and all(s == JobStatus.SKIPPED for s in upstream_statuses):
        return "Every upstream task was skipped."
    if run_when == "onFailure":
        if any(s == JobStatus.FAILED for s in upstream_statuses):
            return None
        return "Runs only when an upstream task fails; none did."
    if all(s == JobStatus.SUCCEEDED for s in upstream_statuses):
        return None
    failed = any(s == JobStatus.FAILED for s in upstream_statuses)
    return "An upstream task failed." if failed else "An upstream task did not succeed."
