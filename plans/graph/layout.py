"""A layered ("Sugiyama") layout of a directed acyclic graph, top to bottom, in pure Python.

Plans are small (one to a few hundred tasks) and mostly chains with a few branches, so the
classic steps are enough and cost milliseconds:

1. layers by longest path from the sources (a task sits one layer below its lowest upstream);
2. an edge spanning several layers gets a dummy point in each layer it crosses, so it is routed
   around the nodes instead of through them;
3. the order inside each layer comes from barycenter sweeps (down and up), keeping the order
   with the fewest crossings seen;
4. x positions are the least-squares fit to the neighbours' positions under "keep the order and
   the minimum gap" (isotonic regression by pool-adjacent-violators), alternately from above
   and from below.

The input order breaks every tie, so the same graph always gets the same picture.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

SWEEPS = 6
POSITION_PASSES = 4


@dataclass(frozen=True)
class LayoutBox:
    """Sizes in pixels: node boxes, the gaps between them, the margin around the picture."""

    node_width: float = 220.0
    node_height: float = 50.0
    gap_x: float = 28.0
    gap_y: float = 46.0
    margin: float = 12.0
    # The room a dummy point (a long edge passing through a layer) keeps from its neighbours.
    dummy_width: float = 14.0


@dataclass
class PlacedNode:
    """A node's box: `x`, `y` are its top-left corner."""

    key: str
    layer: int
    order: int
    x: float
    y: float
    width: float
    height: float

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2


@dataclass
class PlacedEdge:
    """An edge as a polyline from the bottom of `source` to the top of `target`, passing the
    dummy points of the layers between them (at least two points)."""

    source: str
    target: str
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Layout:
    nodes: dict[str, PlacedNode]
    edges: list[PlacedEdge]
    width: float
    height: float
    layers: int


@dataclass(eq=False)
class _Slot:
    """A node or a dummy point in a layer, during the layout."""

    key: str
    dummy: bool
    rank: int  # input order (dummies: their edge's source), for stable ties
    up: list[_Slot] = field(default_factory=list)
    down: list[_Slot] = field(default_factory=list)
    x: float = 0.0
    width: float = 0.0


def layered_layout(
    nodes: Sequence[tuple[str, Sequence[str]]], box: LayoutBox | None = None
) -> Layout:
    """Lay out `nodes`, given as `(key, upstream keys)` in their listed order.

    Upstream keys that name no node are ignored, as are edges that would close a cycle (the
    later edge in input order goes), so any input gives a drawing. Edges appear in input order
    of their target, then of their upstream list.
    """
    box = box or LayoutBox()
    keys = [key for key, _ in nodes]
    index = {key: i for i, key in enumerate(keys)}
    edges = _acyclic_edges(nodes, index)
    layer_of = _longest_path_layers(keys, edges)
    layers, chains = _build_slots(keys, index, edges, layer_of, box)
    _order_layers(layers)
    _place_x(layers, box)

    # Shift everything right so the leftmost box starts at the margin.
    left = min((slot.x - slot.width / 2 for layer in layers for slot in layer), default=0.0)
    shift = box.margin - left
    placed: dict[str, PlacedNode] = {}
    for depth, layer in enumerate(layers):
        top = box.margin + depth * (box.node_height + box.gap_y)
        for order, slot in enumerate(layer):
            slot.x += shift
            if not slot.dummy:
                placed[slot.key] = PlacedNode(
                    key=slot.key,
                    layer=depth,
                    order=order,
                    x=slot.x - box.node_width / 2,
                    y=top,
                    width=box.node_width,
                    height=box.node_height,
                )
    right = max((slot.x + slot.width / 2 for layer in layers for slot in layer), default=0.0)
    placed_edges = [
        _route(source, target, chain, placed, layer_of, box)
        for (source, target), chain in zip(edges, chains, strict=True)
    ]
    _spread_ports(placed_edges, placed)
    return Layout(
        nodes=placed,
        edges=placed_edges,
        width=right + box.margin if layers else 2 * box.margin,
        height=(
            2 * box.margin + len(layers) * box.node_height + (len(layers) - 1) * box.gap_y
            if layers
            else 2 * box.margin
        ),
        layers=len(layers),
    )


def _acyclic_edges(
    nodes: Sequence[tuple[str, Sequence[str]]], index: dict[str, int]
) -> list[tuple[str, str]]:
    """(upstream, key) pairs; an unknown upstream, a self-loop or an edge that would close a
    cycle is dropped."""
    ancestors: dict[str, set[str]] = {key: set() for key in index}
    edges: list[tuple[str, str]] = []
    for key, upstream in nodes:
        for up in dict.fromkeys(upstream):
            if up not in index or up == key or key in ancestors[up]:
                continue
            edges.append((up, key))
            gained = ancestors[up] | {up}
            for other, known in ancestors.items():
                if other == key or key in known:
                    known |= gained
    return edges


def _longest_path_layers(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    ups: dict[str, list[str]] = {key: [] for key in keys}
    downs: dict[str, list[str]] = {key: [] for key in keys}
    for up, key in edges:
        ups[key].append(up)
        downs[up].append(key)
    # Kahn's order, ties by input order, so layers follow the listing.
    waiting = {key: len(ups[key]) for key in keys}
    ready = [key for key in keys if waiting[key] == 0]
    layer: dict[str, int] = {}
    position = {key: i for i, key in enumerate(keys)}
    while ready:
        ready.sort(key=position.__getitem__)
        key = ready.pop(0)
        layer[key] = max((layer[up] + 1 for up in ups[key]), default=0)
        for down in downs[key]:
            waiting[down] -= 1
            if waiting[down] == 0:
                ready.append(down)
    return layer


def _build_slots(
    keys: list[str],
    index: dict[str, int],
    edges: list[tuple[str, str]],
    layer_of: dict[str, int],
    box: LayoutBox,
) -> tuple[list[list[_Slot]], list[list[_Slot]]]:
    depth = max(layer_of.values(), default=-1) + 1
    layers: list[list[_Slot]] = [[] for _ in range(depth)]
    slots: dict[str, _Slot] = {}
    for key in keys:
        slot = _Slot(key=key, dummy=False, rank=index[key], width=box.node_width)
        slots[key] = slot
        layers[layer_of[key]].append(slot)
    chains: list[list[_Slot]] = []
    for number, (up, key) in enumerate(edges):
        chain: list[_Slot] = []
        previous = slots[up]
        for between in range(layer_of[up] + 1, layer_of[key]):
            dummy = _Slot(
                key=f"\0{number}:{between}", dummy=True, rank=index[up], width=box.dummy_width
            )
            layers[between].append(dummy)
            previous.down.append(dummy)
            dummy.up.append(previous)
            chain.append(dummy)
            previous = dummy
        previous.down.append(slots[key])
        slots[key].up.append(previous)
        chains.append(chain)
    for layer in layers:
        layer.sort(key=lambda slot: (slot.rank, slot.dummy))
    return layers, chains


def _crossings(layers: list[list[_Slot]]) -> int:
    """Edge crossings between adjacent layers: inversions of the lower ends once the edges are
    sorted by their upper ends (a Fenwick tree counts them in E log V)."""
    total = 0
    for upper, lower in itertools.pairwise(layers):
        position = {id(slot): i for i, slot in enumerate(lower)}
        pairs = sorted(
            (i, position[id(down)])
            for i, slot in enumerate(upper)
            for down in slot.down
            if id(down) in position
        )
        tree = [0] * (len(lower) + 1)
        for seen, (_, low) in enumerate(pairs):
            # Earlier edges whose lower end lies to the right of this one cross it.
            index, not_right = low + 1, 0
            while index > 0:
                not_right += tree[index]
                index -= index & -index
            total += seen - not_right
            index = low + 1
            while index <= len(lower):
                tree[index] += 1
                index += index & -index
    return total


def _order_layers(layers: list[list[_Slot]]) -> None:
    """Barycenter sweeps; keeps the best ordering seen (fewest crossings, first one wins)."""
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(layers)
    for sweep in range(SWEEPS):
        if best_crossings == 0:
            break
        downward = sweep % 2 == 0
        sequence = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for depth in sequence:
            fixed = layers[depth - 1] if downward else layers[depth + 1]
            layers[depth].sort(key=_barycenters(layers[depth], fixed, downward).__getitem__)
        crossings = _crossings(layers)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    for depth, layer in enumerate(best):
        layers[depth][:] = layer


def _barycenters(
    layer: list[_Slot], fixed: list[_Slot], downward: bool
) -> dict[_Slot, tuple[float, int]]:
    """Sort keys for `layer`: the mean position of each slot's neighbours in `fixed` (its
    current position when it has none there), then its current position."""
    position = {id(slot): i for i, slot in enumerate(fixed)}
    keys: dict[_Slot, tuple[float, int]] = {}
    for current, slot in enumerate(layer):
        neighbours = slot.up if downward else slot.down
        seen = [position[id(n)] for n in neighbours if id(n) in position]
        keys[slot] = (sum(seen) / len(seen) if seen else float(current), current)
    return keys


def _isotonic(targets: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (least squares) to `targets` with x[i+1] - x[i] >= gaps[i]."""
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    shifted = [t - o for t, o in zip(targets, offsets, strict=True)]
    # Pool adjacent violators: blocks of (sum, count) with non-decreasing means.
    blocks: list[list[float]] = []
    for value in shifted:
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    fitted: list[float] = []
    for total, count in blocks:
        fitted.extend([total / count] * int(count))
    return [y + o for y, o in zip(fitted, offsets, strict=True)]


def _place_x(layers: list[list[_Slot]], box: LayoutBox) -> None:
    def gaps(layer: list[_Slot]) -> list[float]:
        return [(a.width + b.width) / 2 + box.gap_x for a, b in itertools.pairwise(layer)]

    for layer in layers:  # packed and centred on 0
        xs = _isotonic([0.0] * len(layer), gaps(layer))
        for slot, x in zip(layer, xs, strict=True):
            slot.x = x
    for number in range(POSITION_PASSES):
        downward = number % 2 == 0
        sequence = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for depth in sequence:
            layer = layers[depth]
            targets = []
            for slot in layer:
                neighbours = slot.up if downward else slot.down
                targets.append(
                    sum(n.x for n in neighbours) / len(neighbours) if neighbours else slot.x
                )
            for slot, x in zip(layer, _isotonic(targets, gaps(layer)), strict=True):
                slot.x = x


def _route(
    source: str,
    target: str,
    chain: list[_Slot],
    placed: dict[str, PlacedNode],
    layer_of: dict[str, int],
    box: LayoutBox,
) -> PlacedEdge:
    start, end = placed[source], placed[target]
    points = [(start.center_x, start.y + start.height)]
    for depth, dummy in zip(range(layer_of[source] + 1, layer_of[target]), chain, strict=True):
        top = box.margin + depth * (box.node_height + box.gap_y)
        points.append((dummy.x, top))
        points.append((dummy.x, top + box.node_height))
    points.append((end.center_x, end.y))
    return PlacedEdge(source=source, target=target, points=points)


def _spread_ports(edges: list[PlacedEdge], placed: dict[str, PlacedNode]) -> None:
    """Edges leaving (or entering) one node start (or end) at distinct points along its
    bottom (top) side, in the order of where they go (come from), so they do not overlap."""
    leaving: dict[str, list[PlacedEdge]] = {}
    entering: dict[str, list[PlacedEdge]] = {}
    for edge in edges:
        leaving.setdefault(edge.source, []).append(edge)
        entering.setdefault(edge.target, []).append(edge)
    for key, group in leaving.items():
        group.sort(key=lambda edge: edge.points[1][0])
        for edge, x in zip(group, _ports(placed[key], len(group)), strict=True):
            edge.points[0] = (x, edge.points[0][1])
    for key, group in entering.items():
        group.sort(key=lambda edge: edge.points[-2][0])
        for edge, x in zip(group, _ports(placed[key], len(group)), strict=True):
            edge.points[-1] = (x, edge.points[-1][1])


def _ports(node: PlacedNode, count: int) -> list[float]:
    if count == 1:
        return [node.center_x]
    span = node.width * 0.6
    return [node.center_x - span / 2 + span * i / (count - 1) for i in range(count)]
