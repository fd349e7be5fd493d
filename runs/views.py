"""Run pages: Run Details (with its live jobs fragment), cancel, retry, Job History, Job Details."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from core.formatting import duration_text
from core.masking import mask_headers
from plans.access import Capability, plan_access, plans_visible_to, require
from plans.task_types import REGISTRY, resource_kind, task_type_choices
from runs import selectors
from runs.models import Job, JobStatus, PlanRun, RunStatus
from runs.services import RunStateError, run_cancel, run_retry
from workspace.features import plans_enabled_required, require_plans_enabled

JOBS_PER_PAGE = 50


@dataclass(frozen=True)
class JobRow:
    """A job with what the tables show precomputed (the template language cannot call).

    `skipped_because` says why a skipped job did not run (empty otherwise)."""

    job: Job
    duration: str
    status_code: int | None
    skipped_because: str = ""


def _job_row(job: Job, skipped_because: str = "") -> JobRow:
    code = job.result.get("statusCode") if isinstance(job.result, dict) else None
    return JobRow(
        job=job,
        duration=duration_text(job.duration),
        status_code=code if isinstance(code, int) else None,
        skipped_because=skipped_because,
    )


def _live_context(request: HttpRequest, run: PlanRun) -> dict[str, Any]:
    from runs.pictures.run_details import run_pictures

    access = plan_access(run.plan, request.user)
    jobs = selectors.run_jobs(run)
    pictures = run_pictures(run, jobs)
    return {
        "run": run,
        "run_duration": duration_text(run.duration),
        "job_rows": [_job_row(job, pictures.explanations.get(job.pk, "")) for job in jobs],
        "pictures": pictures,
        "can_cancel": access is not None and access.can_edit,
        "can_retry": run.status == RunStatus.FAILED and access is not None and access.can_run,
        "can_run_again": not run.is_active and access is not None and access.can_run,
    }


@login_required
@plans_enabled_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """Run Details: the run's status and one row per job, refreshed while the run is active,
    and the sections the run's task types add (flow parameters)."""
    run = selectors.run_get_for_user(request.user, run_id)
    previous_run, next_run = selectors.run_neighbours(run)
    context = {**_live_context(request, run), "previous_run": previous_run, "next_run": next_run}
    context["type_sections"] = _type_sections(request, run, context)
    return render(request, "runs/detail.html", context)


def _type_sections(request: HttpRequest, run: PlanRun, page: dict[str, Any]) -> list[str]:
    sections: list[str] = []
    for name in dict.fromkeys(task["type"] for task in run.snapshot.get("tasks", [])):
        task_type = REGISTRY.get(name)
        section = task_type.run_details_section(run) if task_type is not None else None
        if section is not None:
            template, context = section
            context = {"run": run, "can_retry": page["can_retry"], **context}
            sections.append(render_to_string(template, context, request=request))
    return sections


@login_required
@plans_enabled_required
@require_GET
def run_jobs_fragment(request: HttpRequest, run_id: int) -> HttpResponse:
    """The live part of Run Details; it carries the polling trigger only while the run is active."""
    run = selectors.run_get_for_user(request.user, run_id)
    return render(request, "runs/_jobs.html", _live_context(request, run))


@login_required
@plans_enabled_required
@require_POST
def run_cancel_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """Cancel the run (editors, owner, staff); if it has already ended, say so and change
    nothing."""
    run = selectors.run_get_for_user(request.user, run_id)
    require(run.plan, request.user, Capability.EDIT)
    try:
        run_cancel(run=run)
    except RunStateError:
        messages.info(request, f"Run #{run.pk} had already ended; nothing to cancel.")
    else:
        messages.success(request, f"Run #{run.pk} canceled.")
    return redirect("runs:detail", run_id=run.pk)


@login_required
@plans_enabled_required
@require_POST
def run_retry_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """Start a retry-from-failed run and show it."""
    from core.errors import ServiceValidationError

    run = selectors.run_get_for_user(request.user, run_id)
    require(run.plan, request.user, Capability.RUN)
    try:
        new = run_retry(
            run=run, requested_by=request.user, parameter_overrides=_changed_parameters(request)
        )
    except RunStateError as error:
        messages.error(request, str(error))
        return redirect("runs:detail", run_id=run.pk)
    except ServiceValidationError as error:
        for path, problems in error.errors.items():
            messages.error(request, f"{path}: {' '.join(problems)}")
        return redirect("runs:detail", run_id=run.pk)
    messages.success(request, f"Retrying the failed tasks of run #{run.pk}.")
    return redirect("runs:detail", run_id=new.pk)


def _changed_parameters(request: HttpRequest) -> dict[str, dict[str, str]]:
    """Parameter values the retry dialog changed: fields `param:<flow>:<name>` whose value differs
    from the `was:<flow>:<name>` it was shown with, as run overrides `{flow: {name: value}}`."""
    overrides: dict[str, dict[str, str]] = {}
    for key, value in request.POST.items():
        if not key.startswith("param:"):
            continue
        _, flow, name = key.split(":", 2)
        if value != request.POST.get(f"was:{flow}:{name}"):
            overrides.setdefault(flow, {})[name] = value
    return overrides


@login_required
@plans_enabled_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """Job History: every visible job, newest first, filtered by status, plan, task type, flow
    and date range, paged by keyset (no COUNT, no OFFSET: `runs.keyset`)."""
    from runs.filters import NAME_CHOICES, plan_names
    from runs.keyset import keyset_page, page_query

    filters = selectors.JobFilters.from_query(request.GET)
    jobs = selectors.job_history_list(request.user, filters)
    flows = resource_kind("flow").visible_to(request.user)
    flow_name = filters.flow_name
    if filters.flow_id is not None or filters.flow_name:
        # Flow names are unique: the filter names one flow the user may see, or none.
        named = (
            flows.filter(pk=filters.flow_id)
            if filters.flow_id is not None
            else flows.filter(name__iexact=filters.flow_name)
        )
        found = named.values_list("pk", "name").first()
        jobs = jobs.filter(selectors.jobs_using_q("flow", found[0])) if found else jobs.none()
        flow_name = found[1] if found else flow_name
    page = keyset_page(jobs, request.GET, per_page=JOBS_PER_PAGE)
    query = page_query(request.GET)
    return render(
        request,
        "runs/job_list.html",
        {
            "page": page,
            "job_rows": [_job_row(job) for job in page.items],
            "filters": filters,
            "query": query,
            "any_filter": bool(query),
            "statuses": JobStatus.choices,
            "task_types": task_type_choices(),
            "plan_name": _named(request.user, filters),
            "plan_names": plan_names(request.user),
            "flow_names": list(
                flows.order_by("name").values_list("name", flat=True)[:NAME_CHOICES]
            ),
            "flow_name": flow_name,
        },
    )


def _named(user: Any, filters: selectors.JobFilters) -> str:
    """The plan name the filter form shows: the linked plan's, or the one typed."""
    if filters.plan_id is None:
        return filters.plan_name
    return (
        plans_visible_to(user).filter(pk=filters.plan_id).values_list("name", flat=True).first()
        or ""
    )


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """Job Details: the request sent, the response received, log lines, error and timings;
    refreshed while the job has not ended (`job_fragment`).

    Header values that look like credentials are masked again here, so a result written by an
    older executor cannot leak one onto the page.
    """
    return render(request, "runs/job_detail.html", _job_context(request, job_id))


@login_required
@require_GET
def job_fragment(request: HttpRequest, job_id: int) -> HttpResponse:
    """The live part of Job Details; it carries the polling trigger only while the job may
    still change."""
    return render(request, "runs/_job_live.html", _job_context(request, job_id))


def _job_context(request: HttpRequest, job_id: int) -> dict[str, Any]:
    from runs.pictures.status import skip_explanations

    job = selectors.job_get_for_user(request.user, job_id)
    if job.plan_id is not None:
        # An ad-hoc flow job belongs to flows, which stay on while plans are off.
        require_plans_enabled()
    result = job.result if isinstance(job.result, dict) else {}
    sent = result.get("request") if isinstance(result.get("request"), dict) else None
    received = result.get("response") if isinstance(result.get("response"), dict) else None
    if sent is not None:
        sent = {**sent, "headers": mask_headers(dict(sent.get("headers") or {}))}
    if received is not None:
        received = {**received, "headers": mask_headers(dict(received.get("headers") or {}))}
    other = {
        k: v
        for k, v in result.items()
        if k not in {"request", "response", "statusCode", "attempts", "skipReason"}
    }
    skipped_because = ""
    if job.status == JobStatus.SKIPPED and job.run is not None:
        siblings = selectors.run_jobs(job.run)
        skipped_because = skip_explanations(job.run.snapshot, siblings).get(job.pk, "")
    elif job.status == JobStatus.SKIPPED:
        skipped_because = str(result.get("skipReason", ""))
    live = not job.is_ended and (job.run is None or job.run.is_active)
    return {
        "job": job,
        "row": _job_row(job, skipped_because),
        "live": live,
        "sent": sent,
        "received": received,
        "other_result": _pretty(other) if other else "",
        "log_lines": selectors.job_log_lines(job),
    }
