"""Plan Runs (`/runs/`): every run the user may see, newest first, filtered by plan, status,
source, trigger and date range, paged by keyset (`runs.keyset`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plans.access import plans_visible_to
from plans.models import Plan, Trigger
from runs.filters import DateRange, parse_id, plan_names
from runs.keyset import keyset_page, page_query
from runs.models import PlanRun, RunSource, RunStatus
from runs.selectors import runs_visible_to
from workspace.features import plans_enabled_required

RUNS_PER_PAGE = 50
# A plan's trigger select lists at most this many triggers.
TRIGGER_CHOICES = 100


@dataclass(frozen=True)
class RunFilters:
    """Plan Runs filters from the query string; unknown or malformed values are ignored.

    A plan is chosen by id (`plan`, from links) or by name (`plan_name`: every visible plan of
    that name). `trigger` keeps the runs a trigger started.
    """

    plan_id: int | None = None
    plan_name: str = ""
    status: str = ""
    source: str = ""
    trigger_id: int | None = None
    dates: DateRange = field(default_factory=DateRange)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> RunFilters:
        status, source = params.get("status", ""), params.get("source", "")
        return cls(
            plan_id=parse_id(params.get("plan")),
            plan_name=params.get("plan_name", "").strip()[:200],
            status=status if status in RunStatus.values else "",
            source=source if source in RunSource.values else "",
            trigger_id=parse_id(params.get("trigger")),
            dates=DateRange.from_query(params),
        )

    @property
    def any(self) -> bool:
        return bool(
            self.plan_id or self.plan_name or self.status or self.source or self.trigger_id
        ) or bool(self.dates)


def run_history_list(
    user: AbstractBaseUser | AnonymousUser, filters: RunFilters | None = None
) -> QuerySet[PlanRun]:
    """Every run `user` may see, newest first, narrowed by `filters`; plan, trigger and who
    asked are joined, so a page is one query (the (plan|status, -created_at) indexes serve
    the common filters)."""
    filters = filters or RunFilters()
    runs = runs_visible_to(user).select_related("plan", "trigger", "requested_by")
    if filters.plan_id is not None:
        runs = runs.filter(plan_id=filters.plan_id)
    elif filters.plan_name:
        named = plans_visible_to(user).filter(name__iexact=filters.plan_name).values("pk")
        runs = runs.filter(plan_id__in=named)
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.source:
        runs = runs.filter(source=filters.source)
    if filters.trigger_id is not None:
        runs = runs.filter(trigger_id=filters.trigger_id)
    if filters.dates:
        runs = runs.filter(filters.dates.q())
    return runs.order_by("-created_at", "-id")


def chosen_plan(user: AbstractBaseUser | AnonymousUser, filters: RunFilters) -> Plan | None:
    """The one visible plan the filters name (by id, or a name only one plan has), else None."""
    plans = plans_visible_to(user)
    if filters.plan_id is not None:
        return plans.filter(pk=filters.plan_id).first()
    if filters.plan_name:
        found = list(plans.filter(name__iexact=filters.plan_name)[:2])
        return found[0] if len(found) == 1 else None
    return None


@dataclass(frozen=True)
class RunRow:
    run: PlanRun
    duration: str


@login_required
@plans_enabled_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """Plan Runs: the runs the user may see, newest first, filtered and paged by keyset."""
    from core.formatting import duration_text

    filters = RunFilters.from_query(request.GET)
    page = keyset_page(run_history_list(request.user, filters), request.GET, per_page=RUNS_PER_PAGE)
    plan = chosen_plan(request.user, filters)
    triggers: list[Trigger] = (
        list(plan.triggers.order_by("name", "id")[:TRIGGER_CHOICES]) if plan else []
    )
    return render(
        request,
        "runs/list.html",
        {
            "page": page,
            "rows": [RunRow(run=run, duration=duration_text(run.duration)) for run in page.items],
            "filters": filters,
            "plan": plan,
            "plan_name": plan.name if plan else filters.plan_name,
            "plan_names": plan_names(request.user),
            "triggers": triggers,
            "statuses": RunStatus.choices,
            "sources": RunSource.choices,
            "query": page_query(request.GET),
        },
    )
