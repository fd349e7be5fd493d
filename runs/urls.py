from __future__ import annotations

from django.urls import path

from runs import views
from runs.run_list import run_list

app_name = "runs"
urlpatterns = [
    path("runs/", run_list, name="list"),
    path("runs/<int:run_id>/", views.run_detail, name="detail"),
    path("runs/<int:run_id>/jobs/", views.run_jobs_fragment, name="jobs_fragment"),
    path("runs/<int:run_id>/cancel/", views.run_cancel_view, name="cancel"),
    path("runs/<int:run_id>/retry/", views.run_retry_view, name="retry"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/live/", views.job_fragment, name="job_fragment"),
]
