"""Plan View's run history: the plan's last runs as a grid (one cell per run and task, linking to
the job, Airflow-style) under a chart of the runs' durations, both on the same columns.

Costs two queries whatever the history's size: the last `limit` runs, then their jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from plans.graph.picture import clip
from runs.models import ACTIVE_RUN_STATUSES, Job, PlanRun
from runs.pictures.status import glyph
from runs.pictures.timeline import tick_label

HISTORY_RUNS = 50
LABEL_WIDTH = 170
PITCH = 18  # column and row pitch
CELL = 14
CHART_HEIGHT = 84
CHART_TOP = 14
LABEL_CHARS = 24


@dataclass(frozen=True)
class TaskLine:
    ref: str
    name: str
    y: int
    removed: bool

    @property
    def text_y(self) -> int:
        return self.y + CELL - 3


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    status: str
    job_id: int
    title: str

    @property
    def glyph(self) -> str:
        return glyph(self.status)

    @property
    def glyph_x(self) -> int:
        return self.x + CELL // 2

    @property
    def glyph_y(self) -> int:
        return self.y + CELL - 3


@dataclass(frozen=True)
class RunColumn:
    run_id: int
    status: str
    source: str
    created_at: datetime
    seconds: float | None
    x: int
    bar_y: float
    bar_height: float
    date_label: str
    title: str

    @property
    def glyph(self) -> str:
        return glyph(self.status)

    @property
    def center_x(self) -> float:
        return self.x + CELL / 2


@dataclass(frozen=True)
class RunHistory:
    columns: list[RunColumn]
    lines: list[TaskLine]
    cells: list[Cell]
    width: int
    grid_height: int
    longest: str

    # The chart: bars between chart_top and axis_y, dates under the axis.
    chart_top: int = CHART_TOP
    axis_y: int = CHART_TOP + CHART_HEIGHT
    date_y: int = CHART_TOP + CHART_HEIGHT + 14
    chart_height: int = CHART_TOP + CHART_HEIGHT + 20
    # The grid: the run-status row above the task rows.
    status_y: int = 2
    label_width: int = LABEL_WIDTH
    cell: int = CELL

    @property
    def dated_columns(self) -> list[RunColumn]:
        """The columns whose date is written under the chart: the first, then every tenth."""
        return [column for i, column in enumerate(self.columns) if i % 10 == 0]


def _seconds(run: dict, now: datetime) -> float | None:
    if run["started_at"] is None:
        return None
    return ((run["finished_at"] or now) - run["started_at"]).total_seconds()


def plan_run_history(
    plan_id: int, tasks: Sequence[tuple[str, str]], *, limit: int = HISTORY_RUNS
) -> RunHistory | None:
    """The last `limit` runs of the plan, oldest on the left; `tasks` are the plan's current
    `(ref, name)` in order (rows for tasks only older runs had come after them, marked
    removed). None when the plan has never run."""
    runs = list(
        PlanRun.objects.filter(plan_id=plan_id)
        .order_by("-created_at", "-id")
        .values("id", "status", "source", "created_at", "started_at", "finished_at")[:limit]
    )
    if not runs:
        return None
    runs.reverse()
    jobs = (
        Job.objects.filter(run_id__in=[run["id"] for run in runs])
        .order_by("run_id", "position", "id")
        .values_list("id", "run_id", "task_ref", "task_name", "status")
    )
    names = dict(tasks)
    order = [ref for ref, _ in tasks]
    by_cell: dict[tuple[int, str], tuple[int, str]] = {}
    for job_id, run_id, ref, name, status in jobs:
        by_cell[(run_id, ref)] = (job_id, status)
        if ref not in names:
            names[ref] = name
            order.append(ref)

    now = timezone.now()
    durations = [_seconds(run, now) for run in runs]
    longest = max((d for d in durations if d is not None), default=0.0) or 1.0
    top = 2 + PITCH + 4  # below the run-status row
    current = {ref for ref, _ in tasks}
    lines = [
        TaskLine(
            ref=ref,
            name=clip(names[ref], LABEL_CHARS),
            y=top + i * PITCH,
            removed=ref not in current,
        )
        for i, ref in enumerate(order)
    ]
    columns: list[RunColumn] = []
    cells: list[Cell] = []
    for index, (run, seconds) in enumerate(zip(runs, durations, strict=True)):
        x = LABEL_WIDTH + index * PITCH
        height = 0.0 if seconds is None else max(seconds / longest * CHART_HEIGHT, 2.0)
        took = tick_label(seconds) if seconds is not None else "not started"
        active = run["status"] in ACTIVE_RUN_STATUSES
        columns.append(
            RunColumn(
                run_id=run["id"],
                status=run["status"],
                source=run["source"],
                created_at=run["created_at"],
                seconds=seconds,
                x=x,
                bar_y=round(CHART_TOP + CHART_HEIGHT - height, 1),
                bar_height=round(height, 1),
                date_label=timezone.localtime(run["created_at"]).strftime("%m-%d %H:%M"),
                title=(
                    f"Run #{run['id']} · {run['status']} · {took}{' so far' if active else ''} · "
                    f"{run['source']} · {timezone.localtime(run['created_at']):%Y-%m-%d %H:%M:%S %Z}"
                ),
            )
        )
        for line in lines:
            found = by_cell.get((run["id"], line.ref))
            if found is not None:
                job_id, status = found
                cells.append(
                    Cell(
                        x=x,
                        y=line.y,
                        status=status,
                        job_id=job_id,
                        title=f"#{run['id']} {names[line.ref]}: {status}",
                    )
                )
    return RunHistory(
        columns=columns,
        lines=lines,
        cells=cells,
        width=LABEL_WIDTH + len(runs) * PITCH + 72,  # room for the last date label
        grid_height=top + len(lines) * PITCH + 2,
        longest=tick_label(longest),
    )
