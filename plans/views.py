"""Plan pages (placeholder until the pages land)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def plan_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plans")


def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    return HttpResponse("plan")


def plan_run_now(request: HttpRequest, plan_id: int) -> HttpResponse:
    return HttpResponse("run")
