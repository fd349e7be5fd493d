"""Shared helpers for the flow engine tests: a small sales CSV in a local storage root."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.engine import FlowSpec, OutputResult, run_flow

SALES_CSV = """id,day,category,region,amount,customer
1,2024-01-01,books,eu,10.5,ann
2,2024-01-01,games,us,20.0,bob
3,2024-01-02,books,us,7.25,ann
4,2024-01-02,music,eu,3.0,cid
5,2024-01-03,games,eu,42.0,bob
6,2024-01-03,books,eu,10.5,ann
"""

REGIONS_CSV = """region,region_name
eu,Europe
us,United States
apac,Asia Pacific
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A local storage root holding data/sales.csv and data/regions.csv."""
    folder = tmp_path / "root"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "sales.csv").write_text(SALES_CSV)
    (folder / "data" / "regions.csv").write_text(REGIONS_CSV)
    return folder


def local(root: Path) -> dict[str, Any]:
    return {"kind": "local", "root": str(root)}


def flow_dict(
    root: Path,
    steps: list[dict[str, Any]],
    *,
    parameters: list[dict[str, Any]] | None = None,
    output: dict[str, Any] | None = None,
    extra_recipes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A flow: datasets sales and regions, recipe "main" over sales, output "out" (csv)."""
    return {
        "name": "test flow",
        "parameters": parameters or [],
        "datasets": [
            {"name": "sales", "location": local(root), "path": "data/sales.csv", "format": "csv"},
            {
                "name": "regions",
                "location": local(root),
                "path": "data/regions.csv",
                "format": "csv",
            },
        ],
        "recipes": [
            {"name": "main", "source": {"dataset": "sales"}, "steps": steps},
            *(extra_recipes or []),
        ],
        "outputs": [
            {
                "name": "out",
                "recipe": "main",
                "location": local(root),
                "path": "out/result.csv",
                "format": "csv",
                **(output or {}),
            }
        ],
    }


RunFlow = Callable[..., tuple[OutputResult, list[str]]]


@pytest.fixture
def run(root: Path) -> RunFlow:
    """Run a flow built by `flow_dict` with the given steps; return its one result and the log."""

    def go(
        steps: list[dict[str, Any]], *, values: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[OutputResult, list[str]]:
        lines: list[str] = []
        flow = FlowSpec.from_dict(flow_dict(root, steps, **kwargs))
        (result,) = run_flow(
            flow, outputs=None, parameters=values or {}, run_id=7, log=lines.append
        )
        return result, lines

    return go
