"""Run pages (placeholder until the pages land)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    return HttpResponse("run")


def run_jobs_fragment(request: HttpRequest, run_id: int) -> HttpResponse:
    return HttpResponse("jobs")


def job_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("jobs")


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    return HttpResponse("job")
