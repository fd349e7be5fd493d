"""The v4 API, mounted at /v4/. Paths are accepted with or without a trailing slash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path, re_path

from api import audit, connections, openapi, sharing, triggers, workspace
from api.routing import by_method, not_found
from api.views import jobs, packages, plan_emails, plans, runs

app_name = "api"


def _route(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    # Clients differ on trailing slashes; a POST redirected by APPEND_SLASH would lose its body.
    return [path(route, view, name=name), path(f"{route}/", view)]


urlpatterns: list[URLPattern] = [
    *_route("plans", by_method(GET=plans.PlanListApi, POST=plans.PlanCreateApi), "plans"),
    *_route(
        "plans/<int:plan_id>",
        by_method(GET=plans.PlanDetailApi, PATCH=plans.PlanUpdateApi, DELETE=plans.PlanDeleteApi),
        "plan",
    ),
    *_route("plans/<int:plan_id>/run", by_method(POST=plans.PlanRunApi), "plan_run"),
    *_route(
        "plans/<int:plan_id>/package",
        by_method(GET=packages.PlanPackageExportApi),
        "plan_package",
    ),
    *_route("plans/package", by_method(POST=packages.PlanPackageImportApi), "plan_import"),
    *_route(
        "plans/<int:plan_id>/permissions",
        by_method(GET=sharing.PermissionListApi, POST=sharing.PermissionCreateApi),
        "plan_permissions",
    ),
    *_route(
        "plans/<int:plan_id>/permissions/<int:subject_id>",
        by_method(DELETE=sharing.PermissionDeleteApi),
        "plan_permission",
    ),
    *_route(
        "plans/<int:plan_id>/notifications",
        by_method(
            GET=plan_emails.PlanNotificationsDetailApi, PUT=plan_emails.PlanNotificationsUpdateApi
        ),
        "plan_notifications",
    ),
    *_route("planSnapshotRuns", by_method(GET=runs.RunListApi), "runs"),
    *_route("planSnapshotRuns/<int:run_id>", by_method(GET=runs.RunDetailApi), "run"),
    *_route(
        "planSnapshotRuns/<int:run_id>/cancel", by_method(POST=runs.RunCancelApi), "run_cancel"
    ),
    *_route("planSnapshotRuns/<int:run_id>/retry", by_method(POST=runs.RunRetryApi), "run_retry"),
    *_route("jobs", by_method(GET=jobs.JobListApi), "jobs"),
    *_route("jobs/<int:job_id>", by_method(GET=jobs.JobDetailApi), "job"),
    *_route(
        "connections",
        by_method(GET=connections.ConnectionListApi, POST=connections.ConnectionCreateApi),
        "connections",
    ),
    *_route(
        "connections/<int:connection_id>",
        by_method(
            GET=connections.ConnectionDetailApi,
            PATCH=connections.ConnectionUpdateApi,
            DELETE=connections.ConnectionDeleteApi,
        ),
        "connection",
    ),
    *_route(
        "plans/<int:plan_id>/triggers",
        by_method(GET=triggers.TriggerListApi, POST=triggers.TriggerCreateApi),
        "plan_triggers",
    ),
    *_route(
        "triggers/<int:trigger_id>",
        by_method(
            GET=triggers.TriggerDetailApi,
            PATCH=triggers.TriggerUpdateApi,
            DELETE=triggers.TriggerDeleteApi,
        ),
        "trigger",
    ),
    *_route(
        "workspaceSettings",
        by_method(
            GET=workspace.WorkspaceSettingsDetailApi, PATCH=workspace.WorkspaceSettingsUpdateApi
        ),
        "workspace_settings",
    ),
    *_route("auditEvents", by_method(GET=audit.AuditEventListApi), "audit_events"),
    *_route("open-api-spec", by_method(GET=openapi.OpenApiSpecApi), "open_api_spec"),
    re_path(r"^.*$", not_found),
]
