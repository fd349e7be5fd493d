"""What every task type declares, and what a save tells it.

A type declares its config as one DRF serializer (`config_serializer`): from it come the
validation (once per save, `TaskType.clean_config`), the admin and page form fields, the API's
JSON Schema and `docs/task-types.md`. Connections and flows a config names are `Resource`s,
checked against whoever the run will act for and whoever saves (see `SaveContext`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.settings import api_settings

from core.errors import FieldErrors, add_error

# The suffix of the read-back marker of a secret field (`secretKeySet: true`): accepted and
# ignored on input, so a client may send back what it read.
SECRET_SET_SUFFIX = "Set"


@dataclass(frozen=True)
class Resource:
    """A stored thing a task's config points at: `config[field]` is the id of a `kind`."""

    field: str
    kind: str
    id: int


@dataclass(frozen=True)
class ResourceKind:
    """A kind of resource tasks may name: every row, and the rows a user may use.

    `needed_to_run`: running a plan by hand needs access to every resource of this kind its
    tasks use (flows: sharing a plan does not share them); others act with the owner's access.
    Rows have a `name`.
    """

    name: str
    rows: Callable[[], QuerySet[Any]]
    visible_to: Callable[[Any], QuerySet[Any]]
    needed_to_run: bool = False


_RESOURCE_KINDS: dict[str, ResourceKind] = {}


def register_resource_kind(kind: ResourceKind) -> None:
    _RESOURCE_KINDS[kind.name] = kind


def resource_kind(name: str) -> ResourceKind:
    return _RESOURCE_KINDS[name]


@dataclass(frozen=True)
class SaveContext:
    """Who a task is saved for and by.

    `owner` is the plan's owner: runs act with the owner's access, so every resource a config
    names must be one the owner may use. `saver` is whoever saves (an editor, staff, an
    importer): a resource that is new or changed in this save must be usable by the saver too,
    so no one gains access through someone else's plan; `previous` is the task's config before
    the save (empty for a new task). None for `owner` skips the access checks (a caller that only
    checks early for better messages); the services always pass it.
    """

    owner: Any = None
    saver: Any = None
    previous: Mapping[str, Any] = field(default_factory=dict)


def flatten_errors(detail: Any, path: str = "") -> FieldErrors:
    """DRF's nested error detail as `{field: [messages]}`; nested messages stay on their top
    field (`headers`, `successCodes`), errors of the whole config on "" ."""
    errors: FieldErrors = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = "" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            for sub, messages in flatten_errors(value, path or name).items():
                for message in messages:
                    if message not in errors.get(sub, []):
                        add_error(errors, sub, message)
    elif isinstance(detail, list | tuple):
        for item in detail:
            for sub, messages in flatten_errors(item, path).items():
                for message in messages:
                    if message not in errors.get(sub, []):
                        add_error(errors, sub, message)
    else:
        add_error(errors, path, str(detail))
    return errors


def _has_default(serializer: serializers.Serializer, name: str) -> bool:
    return serializer.fields[name].default is not serializers.empty


class TaskType:
    """A kind of task; subclasses set the class attributes and override the hooks they need.

    The execution side (`run(spec, context)`) is added by `tasks_engine.task_types.base`, the
    layer that executes jobs; plans only needs what a definition needs.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    config_serializer: ClassVar[type[serializers.Serializer]]
    # Write-only config fields whose values are stored encrypted (the config keeps no value).
    secret_fields: ClassVar[tuple[str, ...]] = ()
    # Config fields whose text may hold {{...}} references (strings, or objects of strings).
    reference_fields: ClassVar[tuple[str, ...]] = ()
    # What `$<ref>` of a task of this type offers downstream beyond every task's common fields:
    # field name -> `plans.references.FieldSchema`.
    offers: ClassVar[Mapping[str, Any]] = {}
    # Whether runs of a plan with this type take `parameterOverrides` (see check_run_overrides).
    takes_run_overrides: ClassVar[bool] = False

    def clean_config(
        self, raw: Any, *, context: SaveContext | None = None
    ) -> tuple[dict[str, Any], FieldErrors]:
        """Validate and normalise a config: (clean config, errors by field).

        Secret fields are not part of the clean config (`plans.validation` stores their values
        apart) and `<secret>Set` markers read back from the API are ignored. null for a field
        with a default means the default. Unknown fields are errors.
        """
        if not isinstance(raw, Mapping):
            return {}, {"": ["Must be an object."]}
        serializer = self.config_serializer(
            context={"save": context or SaveContext(), "task_type": self}
        )
        skipped = set(self.secret_fields) | {f"{n}{SECRET_SET_SUFFIX}" for n in self.secret_fields}
        data = {
            key: value
            for key, value in raw.items()
            if key not in skipped
            and not (value is None and key in serializer.fields and _has_default(serializer, key))
        }
        serializer.initial_data = data
        errors: FieldErrors = {}
        if not serializer.is_valid():
            errors = flatten_errors(serializer.errors)
        for name in sorted(set(map(str, raw)) - set(serializer.fields) - skipped):
            add_error(errors, name, "Unknown field.")
        if errors:
            return {}, errors
        return dict(serializer.validated_data), {}

    def reference_texts(self, config: Mapping[str, Any]) -> list[str]:
        """The strings of a config that may contain references (filled in at run time)."""
        texts: list[str] = []
        for name in self.reference_fields:
            value = config.get(name)
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, Mapping):
                texts.extend(str(v) for v in value.values())
        return texts

    def resource_fields(self, kind: str) -> tuple[str, ...]:
        """The config fields that hold the id of a `kind` (e.g. "connection")."""
        from plans.task_types.fields import ResourceField

        return tuple(
            name
            for name, config_field in self.config_serializer().fields.items()
            if isinstance(config_field, ResourceField) and config_field.kind == kind
        )

    def used_resources(self, config: Mapping[str, Any]) -> list[Resource]:
        """The resources a clean config names (from its `ResourceField`s)."""
        from plans.task_types.fields import ResourceField

        found: list[Resource] = []
        for name, config_field in self.config_serializer().fields.items():
            value = config.get(name)
            if isinstance(config_field, ResourceField) and isinstance(value, int):
                found.append(Resource(name, config_field.kind, value))
        return found

    def snapshot_data(self, *, plan: Any, trigger: Any, tasks: list[Any]) -> Any:
        """What this type freezes into a new run's snapshot (`snapshot["types"][name]`), for
        the plan's `tasks` of this type; None freezes nothing. Called once per type per run."""
        return None

    def run_details_section(self, run: Any) -> tuple[str, dict[str, Any]] | None:
        """A section this type adds to Run Details for `run` (which has tasks of this type):
        (template name, its context), or None. The page adds `run` and `can_retry`."""
        return None

    def check_run_overrides(self, *, plan: Any, overrides: Mapping[str, Any]) -> FieldErrors:
        """Errors for a run's `parameterOverrides` (keyed `parameterOverrides.<...>`); {} if fine.
        Only called on types with `takes_run_overrides`."""
        return {}
