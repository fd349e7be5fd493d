"""The flow data engine: a flow spec in, files out, over DuckDB. No Django here.

Public entry points: `FlowSpec.from_dict`, `run_flow`, `coerce_parameter`, `FlowError`.
"""

from __future__ import annotations

from flows.engine.errors import FlowError, ParameterError
from flows.engine.parameters import coerce_parameter, render_path
from flows.engine.results import OutputResult
from flows.engine.runner import resolve_parameters, run_flow
from flows.engine.spec import (
    DatasetSpec,
    FlowSpec,
    OutputSpec,
    ParameterSpec,
    RecipeSpec,
    SourceRef,
    StepSpec,
    StorageLocation,
)

__all__ = [
    "DatasetSpec",
    "FlowError",
    "FlowSpec",
    "OutputResult",
    "OutputSpec",
    "ParameterError",
    "ParameterSpec",
    "RecipeSpec",
    "SourceRef",
    "StepSpec",
    "StorageLocation",
    "coerce_parameter",
    "render_path",
    "resolve_parameters",
    "run_flow",
]
