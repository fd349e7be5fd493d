"""What the plan graph template draws: nodes with icon and lines, edges labelled by condition."""

from __future__ import annotations

from typing import Any

import pytest

from plans.graph.picture import GraphTask, clip, edge_path, graph_picture, plan_graph_picture
from plans.selectors import plan_task_rows
from plans.services import plan_create


def task(ref: str, *upstream: str, run_when: str = "onSuccess", type: str = "http") -> GraphTask:
    return GraphTask(ref=ref, name=ref.title(), type=type, run_when=run_when, upstream=upstream)


def test_each_edge_carries_the_condition_of_the_task_it_leads_to() -> None:
    picture = graph_picture(
        [
            task("fetch"),
            task("load", "fetch"),
            task("alert", "fetch", run_when="onFailure"),
            task("cleanup", "load", "alert", run_when="always"),
        ]
    )

    edges = {(e.source, e.target): (e.condition, e.label) for e in picture.edges}
    assert edges == {
        ("fetch", "load"): ("onSuccess", "on success"),
        ("fetch", "alert"): ("onFailure", "on failure"),
        ("load", "cleanup"): ("always", "always"),
        ("alert", "cleanup"): ("always", "always"),
    }
    assert picture.conditions == [
        ("onSuccess", "on success"),
        ("onFailure", "on failure"),
        ("always", "always"),
    ]


def test_a_label_sits_on_its_edge_between_the_two_layers() -> None:
    picture = graph_picture([task("a"), task("b", "a")])

    (a, b), (edge,) = picture.nodes, picture.edges
    assert a.y + a.height < edge.label_y < b.y
    assert edge.label_box_x < edge.label_x < edge.label_box_x + edge.label_width
    assert edge.path.startswith(f"M{a.x + a.width / 2:g},{a.y + a.height:g}")


def test_nodes_get_their_type_icon_and_unknown_types_a_plain_one() -> None:
    picture = graph_picture([task("a", type="slack"), task("b", "a", type="something-new")])

    assert [node.icon for node in picture.nodes] == ["slack", "task"]


def test_long_names_are_clipped_and_kept_whole_in_the_title() -> None:
    long = GraphTask(
        ref="x", name="A very long task name that would not fit", type="http",
        run_when="onSuccess", upstream=(), title="the whole name",
    )  # fmt: skip

    (node,) = graph_picture([long]).nodes

    assert node.name == "A very long task name…"  # cut at 23, trailing space dropped
    assert node.task.title == "the whole name"
    assert clip("short", 25) == "short"


def test_a_path_crossing_a_layer_runs_straight_through_its_band() -> None:
    path = edge_path([(10, 50), (40, 90), (40, 140), (10, 180)])

    assert path.startswith("M10,50 C10,70 40,70 40,90 L40,140 C40,")
    assert path.endswith(" 10,174")  # stops short of the box: room for the arrowhead


@pytest.mark.django_db
def test_plan_view_nodes_say_ref_and_type_and_link_to_the_task_row(user: Any) -> None:
    plan = plan_create(
        owner=user,
        name="P",
        tasks=[
            {
                "name": "Fetch",
                "ref": "fetch",
                "type": "http",
                "config": {"url": "http://127.0.0.1:9/"},
            }
        ],
    )

    (node,) = plan_graph_picture(plan_task_rows(plan)).nodes

    assert node.note == "fetch · HTTP request"
    assert node.task.href == "#task-fetch"
