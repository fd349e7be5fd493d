"""Run Details' graph: the run's snapshot drawn like Plan View's graph, each node coloured by
its job's status and saying it in words (and why, for a skipped job)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.urls import reverse

from plans.graph.picture import GraphPicture, GraphTask, graph_picture
from runs.models import Job, PlanRun
from runs.pictures.status import job_line


def run_graph_picture(
    run: PlanRun, jobs: Sequence[Job], explanations: Mapping[int, str]
) -> GraphPicture:
    """One node per snapshot task, linked to its job; `explanations` are the skipped jobs'
    reasons (`runs.pictures.status.skip_explanations`)."""
    by_ref = {job.task_ref: job for job in jobs}
    tasks: list[GraphTask] = []
    for task in run.snapshot.get("tasks") or []:
        ref = str(task.get("ref", ""))
        job = by_ref.get(ref)
        line = job_line(job, explanation=explanations.get(job.pk, "") if job else "")
        tasks.append(
            GraphTask(
                ref=ref,
                name=str(task.get("name", ref)),
                type=str(task.get("type", "")),
                run_when=str(task.get("runWhen", "onSuccess")),
                upstream=tuple(str(up) for up in task.get("upstream") or []),
                note=line,
                title=f"{task.get('position', '')}. {task.get('name', ref)}: {line}",
                status=str(job.status) if job else "pending",
                href=reverse("runs:job", args=[job.pk]) if job else "",
            )
        )
    return graph_picture(tasks)
