"""What the plan graph template draws: node boxes with icon, name and a second line, and edges
as SVG paths coloured and labelled by the condition of the task they lead to.

Plan View draws a plan's tasks; Run Details draws its run's snapshot with each node's job
status (`runs.pictures.run_graph`). Both go through `graph_picture`, so they look alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plans.graph.layout import LayoutBox, layered_layout

if TYPE_CHECKING:
    from plans.selectors import TaskRow

CONDITION_LABELS = {"onSuccess": "on success", "onFailure": "on failure", "always": "always"}
ICONS = {"http", "slack", "delete", "flow"}
# Characters that fit a node's lines at the template's font sizes (13 px and 11 px).
NAME_CHARS = 23
NOTE_CHARS = 29
# An edge ends this far above its target's box: the arrowhead fills the gap.
ARROW_ROOM = 6.0


@dataclass(frozen=True)
class GraphTask:
    """One task to draw. `upstream` are refs of tasks drawn in the same picture; `note` is the
    node's second line (the type, or a job's status); `status`, when set, colours the node."""

    ref: str
    name: str
    type: str
    run_when: str
    upstream: tuple[str, ...]
    note: str = ""
    title: str = ""
    status: str = ""
    href: str = ""


@dataclass(frozen=True)
class NodePicture:
    task: GraphTask
    x: float
    y: float
    width: float
    height: float
    name: str
    note: str
    icon: str

    @property
    def text_x(self) -> float:
        return self.x + 34

    @property
    def name_y(self) -> float:
        return self.y + 21

    @property
    def note_y(self) -> float:
        return self.y + 38

    @property
    def icon_x(self) -> float:
        return self.x + 10

    @property
    def icon_y(self) -> float:
        return self.y + (self.height - 16) / 2


@dataclass(frozen=True)
class EdgePicture:
    source: str
    target: str
    condition: str
    label: str
    path: str
    label_x: float
    label_y: float

    @property
    def label_width(self) -> float:
        return round(6.2 * len(self.label) + 10, 1)

    @property
    def label_box_x(self) -> float:
        return round(self.label_x - self.label_width / 2, 1)

    @property
    def label_box_y(self) -> float:
        return self.label_y - 8

    @property
    def label_text_y(self) -> float:
        return self.label_y + 4


@dataclass(frozen=True)
class GraphPicture:
    nodes: list[NodePicture]
    edges: list[EdgePicture]
    width: float
    height: float
    # The conditions present, in legend order.
    conditions: list[tuple[str, str]]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def edge_path(points: Sequence[tuple[float, float]]) -> str:
    """An SVG path through `points` (bottom of the source, then top and bottom of each layer
    crossed, then top of the target): curves between layers, straight lines across a layer."""
    (x0, y0), *rest = points
    parts = [f"M{_fmt(x0)},{_fmt(y0)}"]
    previous = (x0, y0)
    for number, (x, y) in enumerate(rest):
        if number == len(rest) - 1:
            y -= ARROW_ROOM
        if number % 2 == 0:  # between layers
            middle = (previous[1] + y) / 2
            parts.append(
                f"C{_fmt(previous[0])},{_fmt(middle)} {_fmt(x)},{_fmt(middle)} {_fmt(x)},{_fmt(y)}"
            )
        else:  # through the band of a layer the edge passes
            parts.append(f"L{_fmt(x)},{_fmt(y)}")
        previous = (x, y)
    return " ".join(parts)


def graph_picture(tasks: Sequence[GraphTask], box: LayoutBox | None = None) -> GraphPicture:
    """Lay out `tasks` (in their listed order) and describe every node and edge to draw."""
    box = box or LayoutBox()
    layout = layered_layout([(task.ref, task.upstream) for task in tasks], box)
    by_ref = {task.ref: task for task in tasks}
    nodes = [
        NodePicture(
            task=task,
            x=round(placed.x, 1),
            y=round(placed.y, 1),
            width=placed.width,
            height=placed.height,
            name=clip(task.name, NAME_CHARS),
            note=clip(task.note, NOTE_CHARS),
            icon=task.type if task.type in ICONS else "task",
        )
        for task in tasks
        if (placed := layout.nodes.get(task.ref)) is not None
    ]
    edges: list[EdgePicture] = []
    for edge in layout.edges:
        condition = by_ref[edge.target].run_when
        (x0, y0), (x1, y1) = edge.points[0], edge.points[1]
        edges.append(
            EdgePicture(
                source=edge.source,
                target=edge.target,
                condition=condition,
                label=CONDITION_LABELS.get(condition, condition),
                path=edge_path(edge.points),
                label_x=round((x0 + x1) / 2, 1),
                label_y=round((y0 + y1) / 2, 1),
            )
        )
    present = {edge.condition for edge in edges}
    return GraphPicture(
        nodes=nodes,
        edges=edges,
        width=round(layout.width),
        height=round(layout.height),
        conditions=[(key, label) for key, label in CONDITION_LABELS.items() if key in present],
    )


def plan_graph_picture(rows: Sequence[TaskRow]) -> GraphPicture:
    """Plan View's graph: one node per task (type icon, name, ref and type), an edge from each
    upstream task labelled with the task's condition."""
    return graph_picture(
        [
            GraphTask(
                ref=row.task.ref,
                name=row.task.name,
                type=row.task.type,
                run_when=row.task.run_when,
                upstream=tuple(row.upstream),
                note=f"{row.task.ref} · {row.task.type_label}",
                title=f"{row.task.position}. {row.task.name} ({row.task.type_label})",
                href=f"#task-{row.task.ref}",
            )
            for row in rows
        ]
    )
