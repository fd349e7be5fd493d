"""Flows: datasets read from storage, recipes of steps over them, outputs written back.

The rows here are what users edit; `flows.specs.flow_spec_dict` turns a flow into the plain dict
the DuckDB engine (`flows.engine`) validates and runs. Names of parameters, datasets, recipes and
outputs are identifiers (letters, digits, _) because recipes and outputs refer to each other by
name, exactly as the engine does. A flow's own name is unique: it is the key of a flow in
`parameterOverrides` (`{"<flow name>": {"<param>": value}}`).

An ad-hoc run of a flow is a `FlowRun` pointing at its one `runs.Job` (a job with no run); a
flow job inside a plan run belongs to its run as every job does.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

identifier = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]*$",
    "Start with a letter or _ and use only letters, digits and _.",
)
MAX_WEBHOOKS_PER_FLOW = 50


class ParameterType(models.TextChoices):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON (newline-delimited)"
    PARQUET = "parquet", "Parquet"


class OutputMode(models.TextChoices):
    REPLACE = "replace", "Replace the file"
    APPEND = "append", "Append rows"
    NEW_FILE = "new file", "Write a new file each run"


class SourceKind(models.TextChoices):
    DATASET = "dataset"
    RECIPE = "recipe"


class NotifyOn(models.TextChoices):
    SUCCESS = "success", "On success"
    FAILURE = "failure", "On failure"
    ANY = "any", "On success or failure"


class Flow(models.Model):
    """A data asset: parameters, datasets, recipes and outputs, run by flow tasks or by hand."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flows"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name


class FlowParameter(models.Model):
    """A typed value the flow's paths (`{name}`) and expressions (`$name`) use.

    `default` is stored as JSON (dates as "YYYY-MM-DD") and coerced by the engine's rules.
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=100, validators=[identifier])
    type = models.CharField(max_length=10, choices=ParameterType.choices)
    default = models.JSONField()

    class Meta:
        ordering = ["flow", "name"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "name"], name="flowparameter_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class Dataset(models.Model):
    """Files read as one table. `connection` None means the local STORAGE_ROOT.

    `path` may hold `{parameter}` placeholders and `*`, `**`, `?` wildcards; `options` are the
    format's options (csv: `delimiter`, `header`).
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=100, validators=[identifier])
    connection = models.ForeignKey(
        "connections.Connection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A local or S3 connection; empty means the STORAGE_ROOT folder.",
    )
    path = models.CharField(max_length=1000)
    format = models.CharField(max_length=10, choices=FileFormat.choices, default=FileFormat.CSV)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["flow", "name"]
        constraints = [models.UniqueConstraint(fields=["flow", "name"], name="dataset_unique_name")]

    def __str__(self) -> str:
        return self.name


class Recipe(models.Model):
    """Ordered steps over a source: a dataset or another recipe of the same flow, by name."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="recipes")
    name = models.CharField(max_length=100, validators=[identifier])
    source_kind = models.CharField(
        max_length=10, choices=SourceKind.choices, default=SourceKind.DATASET
    )
    source_name = models.CharField(max_length=100, validators=[identifier])

    class Meta:
        ordering = ["flow", "name"]
        constraints = [models.UniqueConstraint(fields=["flow", "name"], name="recipe_unique_name")]

    def __str__(self) -> str:
        return self.name


class RecipeStep(models.Model):
    """One step of a recipe: `kind` and its `options` (shapes in `flows.engine.steps`)."""

    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=20)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["recipe", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.kind}"


class Output(models.Model):
    """Where a recipe's rows are written. `path` may hold parameters, {runId}, {date},
    {timestamp}; `connection` None means the local STORAGE_ROOT."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(max_length=100, validators=[identifier])
    recipe = models.ForeignKey(Recipe, on_delete=models.PROTECT, related_name="outputs")
    connection = models.ForeignKey(
        "connections.Connection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A local or S3 connection; empty means the STORAGE_ROOT folder.",
    )
    path = models.CharField(max_length=1000)
    format = models.CharField(max_length=10, choices=FileFormat.choices, default=FileFormat.CSV)
    mode = models.CharField(max_length=10, choices=OutputMode.choices, default=OutputMode.REPLACE)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["flow", "id"]
        constraints = [models.UniqueConstraint(fields=["flow", "name"], name="output_unique_name")]

    def __str__(self) -> str:
        return self.name


class FlowWebhook(models.Model):
    """An HTTP call made after a flow job ends (at most MAX_WEBHOOKS_PER_FLOW per flow).

    `url`, `headers` and `body` may hold `{{$flow.*}}`, `{{$job.*}}`, `{{$output.*}}` and, in
    plan runs, `{{$plan.*}}` references. One call is made per matching output of the job (see
    `flows.notifications.webhooks`). `secret` (a write-only `tasks_engine.Secret`) signs the
    body like the HTTP task does. A failing webhook never fails the job.
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=200)
    url = models.CharField(max_length=4000)
    method = models.CharField(max_length=10, default="POST")
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    notify_on = models.CharField(max_length=10, choices=NotifyOn.choices, default=NotifyOn.SUCCESS)
    all_outputs = models.BooleanField(
        default=True, help_text="Call for every output; otherwise only for the selected ones."
    )
    outputs = models.ManyToManyField(Output, blank=True, related_name="webhooks")
    secret = models.ForeignKey(
        "connections.Secret", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retries = models.PositiveSmallIntegerField(default=2)
    timeout_seconds = models.PositiveIntegerField(default=30)

    class Meta:
        ordering = ["flow", "id"]

    def __str__(self) -> str:
        return self.name


class FlowEmailNotification(models.Model):
    """Mail sent after a flow job: to `on_success` or `on_failure` recipients (comma or
    newline separated addresses)."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="email_notifications")
    on_success = models.TextField(blank=True, help_text="Addresses, one per line or by commas.")
    on_failure = models.TextField(blank=True, help_text="Addresses, one per line or by commas.")

    class Meta:
        ordering = ["flow", "id"]

    def __str__(self) -> str:
        return f"Email notification #{self.pk}"

    @staticmethod
    def split(addresses: str) -> list[str]:
        return [a.strip() for a in addresses.replace("\n", ",").split(",") if a.strip()]


class FlowRun(models.Model):
    """An ad-hoc run of a flow (Run flow, the API): what was asked, and the job that runs it.

    The job has no run; it executes through the engine like any job (claim, cancel watcher,
    heartbeat) and acts with the flow owner's access.
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    job = models.OneToOneField("runs.Job", on_delete=models.CASCADE, related_name="flow_run")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outputs = models.JSONField(default=list, blank=True)
    parameter_overrides = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["flow", "-created_at"])]

    def __str__(self) -> str:
        return f"Run of {self.flow} (job #{self.job_id})"
