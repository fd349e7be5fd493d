"""The flow data engine: a flow spec in, files out, over DuckDB. No Django here.

Public entry points: `FlowSpec.from_dict`, `run_flow` (with `RunLimits` and a cancel event),
`coerce_parameter`, `FlowError` (and its FlowCanceled / FlowTimedOut for a stopped run).
"""

from __future__ import annotations

from flows.engine.errors import (
    FlowCanceled,
    FlowError,
    FlowStopped,
    FlowTimedOut,
    ParameterError,
)
from flows.engine.limits import RunLimits
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
    "FlowCanceled",
    "FlowError",
    "FlowSpec",
    "FlowStopped",
    "FlowTimedOut",
    "OutputResult",
    "OutputSpec",
    "ParameterError",
    "ParameterSpec",
    "RecipeSpec",
    "RunLimits",
    "SourceRef",
    "StepSpec",
    "StorageLocation",
    "coerce_parameter",
    "render_path",
    "resolve_parameters",
    "run_flow",
]
