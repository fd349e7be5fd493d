"""The audit log page (`/audit/`, staff only): filters and keyset pages, newest first."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import AuditAction, AuditEvent
from audit.selectors import AuditFilters, audit_event_list

PER_PAGE = 50


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor (username)")
    objectType = forms.CharField(
        required=False, max_length=100, label="Object type", help_text="e.g. plans.plan"
    )
    objectId = forms.IntegerField(required=False, min_value=1, label="Object id")
    action = forms.ChoiceField(required=False, choices=[("", "any"), *AuditAction.choices])
    since = forms.DateTimeField(required=False, label="From")
    until = forms.DateTimeField(required=False, label="Before")
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data["actor"] or None,
            object_type=data["objectType"] or None,
            object_id=data["objectId"],
            action=data["action"] or None,
            since=data["since"],
            until=data["until"],
        )


def _details(event: AuditEvent) -> str:
    return json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else ""


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Events, newest first, `PER_PAGE` at a time: "Older" continues below the last id shown."""
    if not request.user.is_staff:
        raise PermissionDenied("The audit log is for staff.")
    form = AuditFilterForm(request.GET)
    rows: list[AuditEvent] = []
    older = ""
    if form.is_valid():
        events = audit_event_list(form.filters())
        before = form.cleaned_data["before"]
        if before is not None:
            events = events.filter(pk__lt=before)
        rows = list(events.order_by("-pk")[: PER_PAGE + 1])
        if len(rows) > PER_PAGE:
            rows = rows[:PER_PAGE]
            query = request.GET.copy()
            query["before"] = str(rows[-1].pk)
            older = query.urlencode()
    newest = request.GET.copy()
    newest.pop("before", None)
    context: dict[str, Any] = {
        "form": form,
        "rows": [(event, _details(event)) for event in rows],
        "older_query": older,
        "newer": "before" in request.GET,
        "newest_query": newest.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "before"),
    }
    return render(request, "audit/list.html", context)
