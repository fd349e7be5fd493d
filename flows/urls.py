from __future__ import annotations

from django.urls import path

from flows import views
from flows.trigger_parameters import trigger_parameters_view

app_name = "flows"
urlpatterns = [
    path("", views.flow_list_view, name="list"),
    path("<int:flow_id>/", views.flow_detail, name="detail"),
    path("<int:flow_id>/run/", views.flow_run_view, name="run"),
    path("plans/<int:plan_id>/parameters/", views.plan_parameters_view, name="plan_parameters"),
    path(
        "triggers/<int:trigger_id>/parameters/",
        trigger_parameters_view,
        name="trigger_parameters",
    ),
]
