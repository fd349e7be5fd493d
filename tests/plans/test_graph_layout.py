"""The layered layout of a plan graph: sizes, no overlaps, routed long edges, few crossings."""

from __future__ import annotations

import itertools

from plans.graph.layout import LayoutBox, PlacedNode, layered_layout

BOX = LayoutBox()


def overlaps(a: PlacedNode, b: PlacedNode) -> bool:
    return not (
        a.x + a.width <= b.x
        or b.x + b.width <= a.x
        or a.y + a.height <= b.y
        or b.y + b.height <= a.y
    )


def crossings(layout: object) -> int:
    """Crossings between edges joining the same two adjacent layers (straight segments)."""
    segments = [
        (e.points[0], e.points[1])
        for e in layout.edges  # type: ignore[attr-defined]
        if len(e.points) == 2
    ]
    count = 0
    for (a0, a1), (b0, b1) in itertools.combinations(segments, 2):
        if a0[1] == b0[1] and a1[1] == b1[1] and (a0[0] - b0[0]) * (a1[0] - b1[0]) < 0:
            count += 1
    return count


def test_one_task_is_one_box_inside_the_margin() -> None:
    layout = layered_layout([("only", [])])

    node = layout.nodes["only"]
    assert (node.x, node.y) == (BOX.margin, BOX.margin)
    assert layout.edges == []
    assert layout.width == BOX.node_width + 2 * BOX.margin
    assert layout.height == BOX.node_height + 2 * BOX.margin


def test_a_chain_of_fifty_tasks_is_one_column_growing_downwards() -> None:
    chain = [(f"t{i}", [f"t{i - 1}"] if i else []) for i in range(50)]

    layout = layered_layout(chain)

    assert layout.layers == 50
    assert {node.x for node in layout.nodes.values()} == {BOX.margin}
    assert [layout.nodes[f"t{i}"].layer for i in range(50)] == list(range(50))
    assert layout.width == BOX.node_width + 2 * BOX.margin
    assert layout.height == 2 * BOX.margin + 50 * BOX.node_height + 49 * BOX.gap_y
    assert len(layout.edges) == 49
    assert all(len(edge.points) == 2 for edge in layout.edges)


def test_branches_sit_side_by_side_without_overlapping() -> None:
    layout = layered_layout(
        [
            ("fetch", []),
            ("load", ["fetch"]),
            ("alert", ["fetch"]),
            ("report", ["fetch"]),
            ("done", ["load", "alert", "report"]),
        ]
    )

    row = [layout.nodes[key] for key in ("load", "alert", "report")]
    assert {node.layer for node in row} == {1}
    for a, b in itertools.combinations(layout.nodes.values(), 2):
        assert not overlaps(a, b), (a, b)
    gaps = sorted(node.x for node in row)
    assert all(b - a >= BOX.node_width + BOX.gap_x for a, b in itertools.pairwise(gaps))
    # The parent sits above the middle of its children, the join below them.
    middle = sum(node.center_x for node in row) / 3
    assert abs(layout.nodes["fetch"].center_x - middle) < 1
    assert abs(layout.nodes["done"].center_x - middle) < 1


def test_an_edge_spanning_layers_goes_around_the_boxes_between() -> None:
    # fetch -> a -> b -> c, and c also depends on fetch directly (two layers skipped).
    layout = layered_layout([("fetch", []), ("a", ["fetch"]), ("b", ["a"]), ("c", ["b", "fetch"])])

    long_edge = next(e for e in layout.edges if (e.source, e.target) == ("fetch", "c"))
    assert len(long_edge.points) == 2 + 2 * 2  # top and bottom of each layer crossed
    between = [layout.nodes["a"], layout.nodes["b"]]
    for x, y in long_edge.points[1:-1]:
        for node in between:
            inside = node.x <= x <= node.x + node.width and node.y <= y <= node.y + node.height
            assert not inside, (x, y, node)


def test_edges_start_at_the_bottom_of_the_source_and_end_at_the_top_of_the_target() -> None:
    layout = layered_layout([("a", []), ("b", ["a"]), ("c", ["a"])])

    for edge in layout.edges:
        source, target = layout.nodes[edge.source], layout.nodes[edge.target]
        assert edge.points[0][1] == source.y + source.height
        assert source.x <= edge.points[0][0] <= source.x + source.width
        assert edge.points[-1][1] == target.y
    # Two edges leaving one node leave from different points.
    assert len({edge.points[0] for edge in layout.edges}) == 2


def test_the_order_inside_a_layer_avoids_crossings() -> None:
    # Listed so that a naive order crosses: x1 feeds y2, x2 feeds y1.
    layout = layered_layout([("x1", []), ("x2", []), ("y1", ["x2"]), ("y2", ["x1"])])

    assert crossings(layout) == 0


def test_unknown_upstreams_self_loops_and_cycles_are_left_out() -> None:
    layout = layered_layout(
        [("a", ["ghost"]), ("b", ["a", "b"]), ("c", ["b"]), ("a2", []), ("x", ["c"])]
    )
    assert {(e.source, e.target) for e in layout.edges} == {("a", "b"), ("b", "c"), ("c", "x")}

    cyclic = layered_layout([("a", ["c"]), ("b", ["a"]), ("c", ["b"])])
    assert len(cyclic.edges) == 2
    assert len(cyclic.nodes) == 3


def test_the_same_graph_always_gets_the_same_picture() -> None:
    graph = [(f"n{i}", [f"n{j}" for j in range(i) if (i * 7 + j) % 5 == 0]) for i in range(30)]

    first, second = layered_layout(graph), layered_layout(graph)

    assert first.nodes == second.nodes
    assert [e.points for e in first.edges] == [e.points for e in second.edges]


def test_an_empty_plan_is_an_empty_picture() -> None:
    layout = layered_layout([])

    assert (layout.nodes, layout.edges, layout.layers) == ({}, [], 0)
    assert layout.width == layout.height == 2 * BOX.margin


def test_crossings_are_counted_as_pairs_of_edges_that_swap_order() -> None:
    from plans.graph.layout import _crossings, _Slot

    upper = [_Slot(key=f"u{i}", dummy=False, rank=i) for i in range(3)]
    lower = [_Slot(key=f"l{i}", dummy=False, rank=i) for i in range(3)]
    for top in upper:  # every upper node to every lower node
        top.down.extend(lower)

    # Two edges cross when one starts left of the other and ends right of it: 3 x 3 pairs.
    assert _crossings([upper, lower]) == 9
    assert _crossings([upper[:1], lower]) == 0
