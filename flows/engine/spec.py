"""The flow specification: plain dataclasses built from and turned back into JSON-ready dicts.

The Django side serialises its models into `FlowSpec.from_dict(...)` input; run snapshots keep
`FlowSpec.to_dict()`. `from_dict` validates everything that can be checked without data (names,
kinds, references, step configs); `to_dict(from_dict(d))` is stable. Secrets of a storage location
are left out of `to_dict()` unless asked for, so a snapshot never holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flows.engine.errors import FlowError

PARAMETER_TYPES = ("string", "number", "boolean", "date")
FORMATS = ("csv", "json", "parquet")
OUTPUT_MODES = ("replace", "append", "new file")
STEP_KINDS = (
    "filter",
    "select",
    "drop",
    "rename",
    "derive",
    "cast",
    "sort",
    "aggregate",
    "deduplicate",
    "join",
    "union",
    "limit",
    "sql",
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FlowError(message)


def _name(value: Any, what: str) -> str:
    _require(
        isinstance(value, str) and bool(_NAME.match(value)),
        f"{what} name {value!r} must start with a letter or _ and hold only letters, digits and _.",
    )
    return str(value)


def _mapping(data: Any, what: str) -> dict[str, Any]:
    _require(isinstance(data, dict), f"{what} must be an object, not {type(data).__name__}.")
    return dict(data)


@dataclass(frozen=True)
class StorageLocation:
    """Where files live: a local folder (`root`, absolute) or an S3 bucket and key prefix."""

    kind: str = "local"
    root: str = ""
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> StorageLocation:
        data = _mapping(data, "A storage location")
        kind = data.get("kind", "local")
        _require(kind in ("local", "s3"), f"Storage kind {kind!r} is not local or s3.")
        location = cls(
            kind=kind,
            root=str(data.get("root") or ""),
            bucket=str(data.get("bucket") or ""),
            prefix=str(data.get("prefix") or ""),
            endpoint_url=data.get("endpoint_url") or None,
            region=data.get("region") or None,
            access_key_id=data.get("access_key_id") or None,
            secret_access_key=data.get("secret_access_key") or None,
            session_token=data.get("session_token") or None,
        )
        if kind == "local":
            _require(
                location.root.startswith("/"), "A local storage location needs an absolute root."
            )
        else:
            _require(bool(location.bucket), "An S3 storage location needs a bucket.")
        return location

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        if self.kind == "local":
            return {"kind": "local", "root": self.root}
        data: dict[str, Any] = {
            "kind": "s3",
            "bucket": self.bucket,
            "prefix": self.prefix,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
        }
        if include_secrets:
            data["secret_access_key"] = self.secret_access_key
            data["session_token"] = self.session_token
        return data


@dataclass(frozen=True)
class ParameterSpec:
    """A flow parameter: its declared type and default value (already coerced to that type)."""

    name: str
    type: str
    value: Any

    @classmethod
    def from_dict(cls, data: Any) -> ParameterSpec:
        from flows.engine.parameters import coerce_parameter

        data = _mapping(data, "A parameter")
        name = _name(data.get("name"), "Parameter")
        kind = data.get("type")
        _require(
            kind in PARAMETER_TYPES,
            f"Parameter {name}: type {kind!r} is not one of {PARAMETER_TYPES}.",
        )
        return cls(name=name, type=kind, value=coerce_parameter(kind, data.get("value"), name=name))

    def to_dict(self) -> dict[str, Any]:
        value = self.value.isoformat() if self.type == "date" else self.value
        return {"name": self.name, "type": self.type, "value": value}


def _format_options(fmt: Any, options: Any, what: str) -> tuple[str, dict[str, Any]]:
    _require(fmt in FORMATS, f"{what}: format {fmt!r} is not one of {FORMATS}.")
    options = _mapping(options or {}, f"{what}: options")
    unknown = set(options) - ({"delimiter", "header"} if fmt == "csv" else set())
    _require(not unknown, f"{what}: unknown {fmt} options {sorted(unknown)}.")
    if "delimiter" in options:
        delimiter = options["delimiter"]
        _require(
            isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in '\n\r"',
            f"{what}: the delimiter must be one character.",
        )
    if "header" in options:
        _require(isinstance(options["header"], bool), f"{what}: header must be true or false.")
    return fmt, options


@dataclass(frozen=True)
class DatasetSpec:
    """Files read as one table: `path` may hold `{parameter}` placeholders and `*`, `**`, `?`."""

    name: str
    location: StorageLocation
    path: str
    format: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> DatasetSpec:
        data = _mapping(data, "A dataset")
        name = _name(data.get("name"), "Dataset")
        path = data.get("path")
        _require(
            isinstance(path, str) and bool(path.strip()), f"Dataset {name}: the path is empty."
        )
        fmt, options = _format_options(data.get("format"), data.get("options"), f"Dataset {name}")
        location = StorageLocation.from_dict(data.get("location"))
        return cls(name=name, location=location, path=path, format=fmt, options=options)

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "location": self.location.to_dict(include_secrets=include_secrets),
            "path": self.path,
            "format": self.format,
            "options": dict(self.options),
        }


@dataclass(frozen=True)
class SourceRef:
    """A reference to a dataset or a recipe by name."""

    kind: str
    name: str

    @classmethod
    def from_dict(cls, data: Any, what: str) -> SourceRef:
        data = _mapping(data, what)
        if "kind" in data:
            kind, name = data.get("kind"), data.get("name")
        else:
            _require(len(data) == 1, f"{what} must name one dataset or one recipe.")
            kind, name = next(iter(data.items()))
        _require(kind in ("dataset", "recipe"), f"{what}: {kind!r} is not dataset or recipe.")
        return cls(kind=str(kind), name=_name(name, f"{what}: {kind}"))

    def to_dict(self) -> dict[str, str]:
        return {self.kind: self.name}


@dataclass(frozen=True)
class StepSpec:
    """One recipe step: `kind` and its `config` (shape checked by `flows.engine.steps`)."""

    kind: str
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, what: str) -> StepSpec:
        from flows.engine.steps import check_step_config

        data = _mapping(data, what)
        kind = data.get("kind")
        _require(kind in STEP_KINDS, f"{what}: step kind {kind!r} is not one of {STEP_KINDS}.")
        config = {key: value for key, value in data.items() if key != "kind"}
        check_step_config(str(kind), config, what)
        return cls(kind=str(kind), config=config)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.config}

    def references(self) -> list[SourceRef]:
        """The other datasets/recipes this step reads (join, union)."""
        if self.kind in ("join", "union"):
            return [SourceRef.from_dict(self.config["with"], "with")]
        return []


@dataclass(frozen=True)
class RecipeSpec:
    """Ordered steps applied to a source (a dataset or another recipe)."""

    name: str
    source: SourceRef
    steps: list[StepSpec] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any) -> RecipeSpec:
        data = _mapping(data, "A recipe")
        name = _name(data.get("name"), "Recipe")
        source = SourceRef.from_dict(data.get("source"), f"Recipe {name}: source")
        raw_steps = data.get("steps") or []
        _require(isinstance(raw_steps, list), f"Recipe {name}: steps must be a list.")
        steps = [
            StepSpec.from_dict(step, f"Recipe {name}, step {index}")
            for index, step in enumerate(raw_steps, start=1)
        ]
        return cls(name=name, source=source, steps=steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source.to_dict(),
            "steps": [step.to_dict() for step in self.steps],
        }

    def references(self) -> list[SourceRef]:
        return [self.source, *(ref for step in self.steps for ref in step.references())]


@dataclass(frozen=True)
class OutputSpec:
    """Where a recipe's rows go; `path` may hold parameters, {runId}, {date}, {timestamp}."""

    name: str
    recipe: str
    location: StorageLocation
    path: str
    format: str
    mode: str = "replace"
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> OutputSpec:
        data = _mapping(data, "An output")
        name = _name(data.get("name"), "Output")
        recipe = _name(data.get("recipe"), f"Output {name}: recipe")
        path = data.get("path")
        _require(isinstance(path, str) and bool(path.strip()), f"Output {name}: the path is empty.")
        _require(
            not any(c in path for c in "*?["), f"Output {name}: the path cannot hold wildcards."
        )
        mode = data.get("mode", "replace")
        _require(
            mode in OUTPUT_MODES, f"Output {name}: mode {mode!r} is not one of {OUTPUT_MODES}."
        )
        fmt, options = _format_options(data.get("format"), data.get("options"), f"Output {name}")
        location = StorageLocation.from_dict(data.get("location"))
        return cls(name, recipe, location, path, fmt, mode, options)

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "recipe": self.recipe,
            "location": self.location.to_dict(include_secrets=include_secrets),
            "path": self.path,
            "format": self.format,
            "mode": self.mode,
            "options": dict(self.options),
        }


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        _require(name not in seen, f"Two {what} are named {name!r}.")
        seen.add(name)


@dataclass(frozen=True)
class FlowSpec:
    """A flow; `from_dict` refuses unknown references and recipes that depend on themselves."""

    name: str
    parameters: list[ParameterSpec] = field(default_factory=list)
    datasets: list[DatasetSpec] = field(default_factory=list)
    recipes: list[RecipeSpec] = field(default_factory=list)
    outputs: list[OutputSpec] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any) -> FlowSpec:
        data = _mapping(data, "A flow")
        lists = {
            key: data.get(key) or [] for key in ("parameters", "datasets", "recipes", "outputs")
        }
        for key, value in lists.items():
            _require(isinstance(value, list), f"The flow's {key} must be a list.")
        flow = cls(
            name=str(data.get("name") or ""),
            parameters=[ParameterSpec.from_dict(item) for item in lists["parameters"]],
            datasets=[DatasetSpec.from_dict(item) for item in lists["datasets"]],
            recipes=[RecipeSpec.from_dict(item) for item in lists["recipes"]],
            outputs=[OutputSpec.from_dict(item) for item in lists["outputs"]],
        )
        flow.validate()
        return flow

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "parameters": [parameter.to_dict() for parameter in self.parameters],
            "datasets": [
                dataset.to_dict(include_secrets=include_secrets) for dataset in self.datasets
            ],
            "recipes": [recipe.to_dict() for recipe in self.recipes],
            "outputs": [output.to_dict(include_secrets=include_secrets) for output in self.outputs],
        }

    def dataset(self, name: str) -> DatasetSpec:
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        raise FlowError(f"There is no dataset named {name!r}.")

    def recipe(self, name: str) -> RecipeSpec:
        for recipe in self.recipes:
            if recipe.name == name:
                return recipe
        raise FlowError(f"There is no recipe named {name!r}.")

    def validate(self) -> None:
        """Check names are unique, references resolve and no recipe depends on itself."""
        _unique([p.name for p in self.parameters], "parameters")
        _unique([d.name for d in self.datasets], "datasets")
        _unique([r.name for r in self.recipes], "recipes")
        _unique([o.name for o in self.outputs], "outputs")
        for recipe in self.recipes:
            for ref in recipe.references():
                (self.dataset if ref.kind == "dataset" else self.recipe)(ref.name)
        for output in self.outputs:
            self.recipe(output.recipe)
        for recipe in self.recipes:
            self._check_acyclic(recipe.name, [])

    def _check_acyclic(self, name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = " -> ".join([*trail[trail.index(name) :], name])
            raise FlowError(f"Recipes depend on each other in a circle: {cycle}.")
        for ref in self.recipe(name).references():
            if ref.kind == "recipe":
                self._check_acyclic(ref.name, [*trail, name])
