from __future__ import annotations

from django.urls import path

from notifications import views as email_views
from packages import views as package_views
from plans import views
from plans.pages.plan_runs import plan_runs_fragment
from plans.triggers import views as trigger_views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("live/", views.plan_list_fragment, name="list_fragment"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/run/", views.plan_run_now, name="run"),
    path("<int:plan_id>/runs/", plan_runs_fragment, name="runs_fragment"),
    path("<int:plan_id>/export/", package_views.plan_export_view, name="export"),
    path("import/", package_views.plan_import_view, name="import"),
    path("<int:plan_id>/share/", views.plan_share_view, name="share"),
    path("<int:plan_id>/share/<int:user_id>/remove/", views.plan_unshare_view, name="unshare"),
    path("<int:plan_id>/emails/", email_views.plan_emails_edit, name="emails"),
    path("emails/unsubscribe/<str:token>/", email_views.unsubscribe, name="emails_unsubscribe"),
    path("triggers/<int:trigger_id>/toggle/", trigger_views.trigger_toggle, name="trigger_toggle"),
    path("<int:plan_id>/triggers/new/", trigger_views.trigger_add, name="trigger_add"),
    path("triggers/<int:trigger_id>/edit/", trigger_views.trigger_edit, name="trigger_edit"),
    path("triggers/<int:trigger_id>/delete/", trigger_views.trigger_remove, name="trigger_delete"),
]
