"""How a job's status is told in words and a glyph (never by colour alone), and why a skipped
job did not run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runs.models import Job, JobStatus

GLYPHS = {
    "succeeded": "✓",
    "failed": "✕",
    "skipped": "↷",
    "canceled": "⊘",
    "running": "●",
    "pending": "○",
    "queued": "○",
}
_CONDITION_WORDS = {"onSuccess": "on success", "onFailure": "on failure"}


def glyph(status: str) -> str:
    return GLYPHS.get(status, "?")


def _outcomes(refs: Sequence[str], statuses: Mapping[str, str]) -> str:
    """'fetch_items succeeded', 'a failed and b was skipped' (refs in upstream order)."""
    words = []
    for ref in refs:
        status = statuses.get(ref, "pending")
        words.append(f"{ref} was {status}" if status == JobStatus.SKIPPED else f"{ref} {status}")
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def skip_explanation(task: Mapping[str, Any], statuses: Mapping[str, str], recorded: str) -> str:
    """Why a skipped job did not run, in terms of its upstream tasks' outcomes:
    "fetch_items succeeded, this runs on failure".

    `task` is the job's snapshot task (`runWhen`, `upstream`), `statuses` the run's job
    statuses by task ref, `recorded` the reason the worker recorded (used when the outcomes do
    not explain it, e.g. for a task whose upstream jobs are missing).
    """
    run_when = str(task.get("runWhen", ""))
    upstream = [str(ref) for ref in task.get("upstream") or []]
    if not upstream or run_when not in _CONDITION_WORDS:
        return recorded
    upstream_statuses = [statuses.get(ref, "") for ref in upstream]
    if all(status == JobStatus.SKIPPED for status in upstream_statuses):
        return f"{_outcomes(upstream, statuses)}, so this was skipped too"
    if run_when == "onFailure":
        return f"{_outcomes(upstream, statuses)}, this runs on failure"
    unsuccessful = [ref for ref in upstream if statuses.get(ref) != JobStatus.SUCCEEDED]
    return f"{_outcomes(unsuccessful or upstream, statuses)}, this runs on success"


def job_line(job: Job | None, *, explanation: str = "") -> str:
    """A job's state in one short line: "✓ succeeded · 1.2 s", "↷ skipped: …", "○ pending"."""
    from core.formatting import duration_text

    if job is None:
        return f"{glyph('pending')} pending"
    status = str(job.status)
    if status == JobStatus.SKIPPED:
        return (
            f"{glyph(status)} skipped: {explanation}" if explanation else f"{glyph(status)} skipped"
        )
    line = f"{glyph(status)} {status}"
    took = duration_text(job.duration) if job.started_at else ""
    return f"{line} · {took}" if took else line


def skip_explanations(run_snapshot: Mapping[str, Any], jobs: Sequence[Job]) -> dict[int, str]:
    """{job id: why it was skipped} for the skipped jobs of one run."""
    statuses = {job.task_ref: str(job.status) for job in jobs}
    tasks = {
        str(task.get("ref")): task
        for task in run_snapshot.get("tasks") or []
        if isinstance(task, Mapping)
    }
    explanations: dict[int, str] = {}
    for job in jobs:
        if job.status != JobStatus.SKIPPED:
            continue
        recorded = job.result.get("skipReason", "") if isinstance(job.result, dict) else ""
        task = tasks.get(job.task_ref)
        explanations[job.pk] = (
            skip_explanation(task, statuses, recorded) if task is not None else recorded
        )
    return explanations
