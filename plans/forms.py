"""Admin forms of the plan editor: one task per inline form, the task list as one formset.

Each task form turns its type-specific fields into the config dict of the API shape and has
the task type validate it (`REGISTRY[type].clean_config`), putting every error on the field
it is about. The formset then validates the whole list with `plans.validation.clean_tasks`
(refs, upstream order, "at least one task") and leaves `cleaned_tasks`, the list the admin
hands to `plan_create` / `plan_update`. Nothing here writes to the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from plans.models import PlanTask, RunWhen
from plans.task_types import REGISTRY, task_type_choices
from plans.validation import clean_tasks
from tasks_engine.task_types.http import METHODS

FormErrors = dict[str, list[str]]


def parse_header_lines(text: str) -> tuple[dict[str, str], list[str]]:
    """`Name: value` lines -> headers. Blank lines are ignored; returns (headers, problems)."""
    headers: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            problems.append(f"Line {number}: write each header as 'Name: value'.")
            continue
        if name.strip() in headers:
            problems.append(f"Line {number}: the header {name.strip()!r} is listed twice.")
            continue
        headers[name.strip()] = value.strip()
    return headers, problems


def header_lines(headers: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def parse_success_codes(text: str) -> list[int | str]:
    """`200, 204, 3xx` -> [200, 204, "3xx"]; the task type says whether each item is valid."""
    items = [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]
    return [int(item) if item.isdigit() else item for item in items]


@dataclass(frozen=True)
class ConfigFields:
    """How one task type's config maps onto form fields.

    `fields` maps config keys to form field names (where errors of that key are shown);
    `to_config(cleaned_data)` builds the config (the API shape, secret fields included only
    when they change) and returns errors keyed by form field; `initial(task)` fills the form
    from a saved task, never with a secret's value.
    """

    fields: dict[str, str]
    to_config: Callable[[dict[str, Any]], tuple[dict[str, Any], FormErrors]]
    initial: Callable[[PlanTask], dict[str, Any]]


def _http_to_config(data: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    errors: FormErrors = {}
    headers, problems = parse_header_lines(data.get("http_headers") or "")
    if problems:
        errors["http_headers"] = problems
    config: dict[str, Any] = {
        "method": data.get("http_method") or "GET",
        "url": (data.get("http_url") or "").strip(),
        "headers": headers,
        "body": data.get("http_body") or "",
        "validateSsl": bool(data.get("http_validate_ssl")),
        "successCodes": parse_success_codes(data.get("http_success_codes") or ""),
    }
    for key, field_name in (
        ("timeoutSeconds", "http_timeout_seconds"),
        ("retries", "http_retries"),
    ):
        if data.get(field_name) is not None:
            config[key] = data[field_name]
    if data.get("http_secret_key_remove"):
        config["secretKey"] = None
    elif data.get("http_secret_key"):
        config["secretKey"] = data["http_secret_key"]
    return config, errors


def _http_initial(task: PlanTask) -> dict[str, Any]:
    config = task.config or {}
    return {
        "http_method": config.get("method", "GET"),
        "http_url": config.get("url", ""),
        "http_headers": header_lines(config.get("headers") or {}),
        "http_body": config.get("body", ""),
        "http_timeout_seconds": config.get("timeoutSeconds", 30),
        "http_retries": config.get("retries", 0),
        "http_validate_ssl": config.get("validateSsl", True),
        "http_success_codes": ", ".join(str(c) for c in config.get("successCodes") or ["2xx"]),
    }


CONFIG_FIELDS: dict[str, ConfigFields] = {
    "http": ConfigFields(
        fields={
            "method": "http_method",
            "url": "http_url",
            "headers": "http_headers",
            "body": "http_body",
            "timeoutSeconds": "http_timeout_seconds",
            "retries": "http_retries",
            "validateSsl": "http_validate_ssl",
            "successCodes": "http_success_codes",
            "secretKey": "http_secret_key",
        },
        to_config=_http_to_config,
        initial=_http_initial,
    ),
}
HTTP_FIELD_NAMES = (
    "http_method",
    "http_url",
    "http_headers",
    "http_body",
    "http_timeout_seconds",
    "http_retries",
    "http_validate_ssl",
    "http_success_codes",
    "http_secret_key",
    "http_secret_key_remove",
)
# Where a task-level error path (after `tasks[i].`) is shown on the form.
_TASK_FIELDS = {"name": "name", "ref": "ref", "type": "type", "runWhen": "run_when"}
_TASK_FIELDS["upstream"] = "upstream_refs"


def _type_choices() -> list[tuple[str, str]]:
    return task_type_choices()


class PlanTaskForm(forms.ModelForm):
    """One task of the plan editor. Leaves `task_data`, the task in the API's input shape."""

    position = forms.IntegerField(
        required=False, min_value=1, widget=forms.NumberInput(attrs={"style": "width: 5em"})
    )
    ref = forms.CharField(
        required=False,
        max_length=40,
        help_text="Short reference name; blank derives it from the name.",
    )
    type = forms.ChoiceField(choices=_type_choices, initial="http")
    run_when = forms.ChoiceField(
        choices=RunWhen.choices, initial=RunWhen.ON_SUCCESS, label="Run when"
    )
    upstream_refs = forms.CharField(
        required=False,
        label="Upstream",
        help_text="Refs of earlier tasks, comma-separated; blank means the task listed just before.",
    )
    http_method = forms.ChoiceField(
        choices=[(m, m) for m in METHODS], initial="GET", required=False, label="Method"
    )
    http_url = forms.CharField(
        required=False, max_length=4000, label="URL", widget=forms.TextInput(attrs={"size": 70})
    )
    http_headers = forms.CharField(
        required=False,
        label="Headers",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="One per line: Name: value",
    )
    http_body = forms.CharField(
        required=False,
        label="Body",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="Only for POST, PUT and PATCH.",
    )
    http_timeout_seconds = forms.IntegerField(required=False, initial=30, label="Timeout (s)")
    http_retries = forms.IntegerField(required=False, initial=0, label="Retries")
    http_validate_ssl = forms.BooleanField(required=False, initial=True, label="Validate SSL")
    http_success_codes = forms.CharField(
        required=False,
        initial="2xx",
        label="Success codes",
        help_text="Codes and classes, comma-separated, e.g. 200, 204, 3xx.",
    )
    http_secret_key = forms.CharField(
        required=False,
        label="Secret key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Not set. When set, requests are signed (X-Plans-Signature).",
    )
    http_secret_key_remove = forms.BooleanField(required=False, label="Remove the secret key")
    config_json = forms.CharField(
        required=False,
        label="Config (JSON)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="For task types without their own fields here.",
    )

    class Meta:
        model = PlanTask
        fields = ["position", "name", "ref", "type", "run_when"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task_data: dict[str, Any] | None = None
        task = self.instance
        if task.pk is None:
            return
        self.initial["upstream_refs"] = ", ".join(task.upstream or [])
        spec = CONFIG_FIELDS.get(task.type)
        if spec is not None:
            self.initial.update(spec.initial(task))
        else:
            self.initial["config_json"] = json.dumps(task.config, indent=2)
        if (task.secrets or {}).get("secretKey"):
            self.fields[
                "http_secret_key"
            ].help_text = "•••• set. Type a new key to replace it, or tick Remove."

    def clean_upstream_refs(self) -> list[str] | None:
        text = self.cleaned_data.get("upstream_refs") or ""
        refs = [ref.strip() for ref in text.split(",") if ref.strip()]
        return refs or None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        type_ = data.get("type")
        if type_ not in REGISTRY:
            return data
        spec = CONFIG_FIELDS.get(type_)
        if spec is not None:
            config, parse_errors = spec.to_config(data)
            field_for = spec.fields
        else:
            config, parse_errors = self._json_config(data)
            field_for = {}
        for field_name, messages in parse_errors.items():
            for message in messages:
                self.add_error(field_name, message)
        _, config_errors = REGISTRY[type_].clean_config(config)
        self.add_config_errors(config_errors, field_for)
        self.task_data = {
            "id": self.instance.pk,
            "name": data.get("name") or "",
            "ref": data.get("ref") or None,
            "type": type_,
            "runWhen": data.get("run_when") or RunWhen.ON_SUCCESS,
            "upstream": data.get("upstream_refs"),
            "config": config,
        }
        return data

    def add_config_errors(self, errors: dict[str, list[str]], field_for: dict[str, str]) -> None:
        """Show config errors (keyed by config key) on their form fields, once each."""
        for key, messages in errors.items():
            field_name = field_for.get(key, "config_json" if not field_for else None)
            for message in messages:
                if field_name in (None, "config_json"):
                    message = f"{key}: {message}"
                if field_name is not None and message in self.errors.get(field_name, []):
                    continue
                self.add_error(field_name, message)

    @staticmethod
    def _json_config(data: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
        text = (data.get("config_json") or "").strip()
        if not text:
            return {}, {}
        try:
            config = json.loads(text)
        except json.JSONDecodeError as error:
            return {}, {"config_json": [f"Not valid JSON: {error.msg} (line {error.lineno})."]}
        if not isinstance(config, dict):
            return {}, {"config_json": ["Give a JSON object."]}
        return config, {}

    def validate_unique(self) -> None:
        # Refs are checked across the whole list by clean_tasks; checking one row against the
        # database would refuse swapping two refs, which the service handles.
        return


class PlanTaskFormSet(forms.BaseInlineFormSet):
    """The task list. After validation `cleaned_tasks` is the list for plan_create/plan_update,
    in the order of the position fields (ties keep the order on the page)."""

    cleaned_tasks: list[dict[str, Any]]

    def clean(self) -> None:
        self.cleaned_tasks = []
        if any(self.errors):
            return
        kept: list[tuple[int, int, PlanTaskForm]] = []
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            position = form.cleaned_data.get("position") or 1_000_000
            kept.append((position, index, form))
        ordered = [form for _, _, form in sorted(kept, key=lambda item: item[:2])]
        tasks = [form.task_data for form in ordered if form.task_data is not None]
        existing = list(self.instance.tasks.all()) if self.instance.pk else []
        # A new plan's owner is set on the instance once the plan form itself is valid.
        owner = self.instance.owner if self.instance.owner_id else None
        _, errors = clean_tasks(tasks, existing=existing, owner=owner)
        non_form: list[str] = []
        for path, messages in errors.items():
            form, field_name = _form_field_for(path, ordered)
            if form is None:
                non_form.extend(messages)
                continue
            config_key = path.partition(".config.")[2]
            if field_name in (None, "config_json") and config_key:
                spec = CONFIG_FIELDS.get(form.cleaned_data.get("type", ""))
                form.add_config_errors({config_key: messages}, spec.fields if spec else {})
                continue
            for message in messages:
                if field_name is None or message not in form.errors.get(field_name, []):
                    form.add_error(field_name, message)
        if non_form:
            raise ValidationError(non_form)
        self.cleaned_tasks = tasks


def _form_field_for(
    path: str, forms_: list[PlanTaskForm]
) -> tuple[PlanTaskForm | None, str | None]:
    """`tasks[2].config.url` -> (the third task's form, "http_url"); (None, None) for the list."""
    if not path.startswith("tasks["):
        return None, None
    index_text, _, rest = path[len("tasks[") :].partition("]")
    if not index_text.isdigit() or int(index_text) >= len(forms_):
        return None, None
    form = forms_[int(index_text)]
    rest = rest.lstrip(".")
    if rest.startswith("config."):
        key = rest[len("config.") :].split(".", 1)[0].split("[", 1)[0]
        spec = CONFIG_FIELDS.get(form.cleaned_data.get("type", ""))
        return form, spec.fields.get(key) if spec is not None else "config_json"
    if rest == "config":
        return form, "config_json"
    return form, _TASK_FIELDS.get(rest)
