"""What Run Details draws about one run: its graph, its timeline and why skipped jobs skipped.

Built from rows the page has already loaded (the run and its jobs), so the pictures add no
query to the page or to its live fragment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plans.graph.picture import GraphPicture
from runs.models import Job, PlanRun
from runs.pictures.run_graph import run_graph_picture
from runs.pictures.status import skip_explanations
from runs.pictures.timeline import Timeline, run_timeline


@dataclass(frozen=True)
class RunPictures:
    graph: GraphPicture
    timeline: Timeline
    # {job id: why it was skipped}
    explanations: dict[int, str]


def run_pictures(run: PlanRun, jobs: Sequence[Job]) -> RunPictures:
    explanations = skip_explanations(run.snapshot, jobs)
    return RunPictures(
        graph=run_graph_picture(run, jobs, explanations),
        timeline=run_timeline(run, jobs, explanations),
        explanations=explanations,
    )
