"""Run Details' timeline: a Gantt bar per job on one time axis, from the run's creation.

A job waits ("queued") from the moment it could start (the run's creation for the first job,
the previous job's end for the others) until a worker claims it, then runs until it ends. A job
that never started (skipped, canceled while pending) is a marker at the moment it was decided.
Positions are percentages of the axis, so the SVG fills any width without scaling its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from runs.models import Job, JobStatus, PlanRun
from runs.pictures.status import glyph, job_line

ROW_HEIGHT = 40
AXIS_HEIGHT = 22
MIN_BAR_PERCENT = 0.4
# Tick steps in seconds: a step is chosen so that the axis has at most MAX_TICKS ticks.
NICE_STEPS = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
    43200, 86400,
)  # fmt: skip
MAX_TICKS = 6


@dataclass(frozen=True)
class Span:
    """A bar segment, in percent of the axis."""

    start: float
    width: float


@dataclass(frozen=True)
class TimelineRow:
    job: Job
    top: int
    name: str
    line: str
    queued: Span | None
    running: Span | None
    marker: float | None

    @property
    def status(self) -> str:
        return str(self.job.status)

    @property
    def glyph(self) -> str:
        return glyph(self.status)

    @property
    def text_y(self) -> int:
        return self.top + 13

    @property
    def bar_y(self) -> int:
        return self.top + 19

    @property
    def bar_end(self) -> float:
        """Where the status word after the bar goes (percent)."""
        span = self.running or self.queued
        if span is not None:
            return round(span.start + span.width, 2)
        return self.marker if self.marker is not None else 0.0


@dataclass(frozen=True)
class Tick:
    percent: float
    label: str

    @property
    def anchor(self) -> str:
        if self.percent == 0:
            return "start"
        return "end" if self.percent > 94 else "middle"


@dataclass(frozen=True)
class Timeline:
    rows: list[TimelineRow]
    ticks: list[Tick]
    origin: datetime
    end: datetime
    height: int

    @property
    def axis_bottom(self) -> int:
        return self.height - 4


def tick_label(seconds: float) -> str:
    """An axis label: `0 s`, `0.5 s`, `45 s`, `2 min`, `2:30`, `1 h`, `1:30 h`."""
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    if seconds < 3600:
        minutes, secs = divmod(round(seconds), 60)
        return f"{minutes} min" if secs == 0 else f"{minutes}:{secs:02d}"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h" if rest < 60 else f"{hours}:{rest // 60:02d} h"


def axis_ticks(span_seconds: float) -> list[Tick]:
    """Ticks at a nice step from 0 to `span_seconds` (at least the 0 tick)."""
    step = next((s for s in NICE_STEPS if span_seconds / s <= MAX_TICKS - 1), NICE_STEPS[-1])
    ticks = []
    count = int(span_seconds / step + 1e-9)
    for number in range(count + 1):
        seconds = number * step
        ticks.append(
            Tick(percent=round(seconds / span_seconds * 100, 2), label=tick_label(seconds))
        )
    return ticks


def run_timeline(
    run: PlanRun,
    jobs: Sequence[Job],
    explanations: Mapping[int, str],
    *,
    now: datetime | None = None,
) -> Timeline:
    """The timeline of `run` with its `jobs` in execution order (see the module docstring)."""
    now = now or timezone.now()
    origin = run.created_at
    end = run.finished_at or now
    for job in jobs:  # a clock a little apart between hosts must not push a bar off the axis
        for moment in (job.started_at, job.finished_at):
            if moment is not None and moment > end:
                end = moment
    end = max(end, origin + timedelta(seconds=1))
    span = (end - origin).total_seconds()

    def percent(moment: datetime) -> float:
        return round(min(max((moment - origin).total_seconds() / span, 0.0), 1.0) * 100, 2)

    def segment(start: datetime, stop: datetime) -> Span:
        left = percent(start)
        return Span(start=left, width=max(round(percent(stop) - left, 2), MIN_BAR_PERCENT))

    rows: list[TimelineRow] = []
    ready: datetime | None = origin  # when the next job could start; None: not yet known
    for number, job in enumerate(jobs):
        queued = running = None
        marker = None
        if job.started_at is not None:
            if ready is not None:
                queued = segment(ready, job.started_at)
            running = segment(job.started_at, job.finished_at or end)
            ready = job.finished_at
        elif job.status == JobStatus.PENDING:
            if ready is not None and run.is_active:
                queued = segment(ready, end)  # waiting for a worker now
            ready = None
        elif ready is not None:  # decided without running: skipped or canceled
            moment = job.finished_at or ready
            marker = percent(moment)
            ready = moment
        rows.append(
            TimelineRow(
                job=job,
                top=AXIS_HEIGHT + number * ROW_HEIGHT,
                name=job.task_name,
                line=job_line(job, explanation=explanations.get(job.pk, "")),
                queued=queued,
                running=running,
                marker=marker,
            )
        )
    return Timeline(
        rows=rows,
        ticks=axis_ticks(span),
        origin=origin,
        end=end,
        height=AXIS_HEIGHT + len(rows) * ROW_HEIGHT + 6,
    )
