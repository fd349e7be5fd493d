"""Plan View's runs section: the run history pictures (durations over a run-by-task grid) and
the latest runs, re-fetched by htmx while one of them is active (`plan_runs_fragment`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plans import selectors
from plans.access import access_plan
from plans.models import Plan
from plans.selectors import TaskRow
from runs import selectors as run_selectors
from runs.models import ACTIVE_RUN_STATUSES
from runs.pictures.history import plan_run_history
from workspace.features import plans_enabled_required

RECENT_RUNS = 20


def runs_section(plan: Plan, task_rows: list[TaskRow]) -> dict[str, Any]:
    """The section's context: `runs` (the latest RECENT_RUNS), `history` (None before the first
    run) and `runs_active` (whether the section should keep refreshing). Three queries."""
    runs = list(run_selectors.plan_runs(plan)[:RECENT_RUNS])
    history = plan_run_history(plan.pk, [(row.task.ref, row.task.name) for row in task_rows])
    active = any(run.status in ACTIVE_RUN_STATUSES for run in runs) or (
        history is not None
        and any(column.status in ACTIVE_RUN_STATUSES for column in history.columns)
    )
    return {"runs": runs, "history": history, "runs_active": active}


@login_required
@plans_enabled_required
@require_GET
def plan_runs_fragment(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The live runs section of Plan View; it carries the polling trigger only while a run it
    shows is active."""
    plan = access_plan(request.user, plan_id)
    context = {"plan": plan, **runs_section(plan, selectors.plan_task_rows(plan))}
    return render(request, "plans/_runs.html", context)
