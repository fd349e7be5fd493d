"""Writes for flows: defining a flow, webhooks and their secrets, plan parameter overrides, and
starting an ad-hoc flow job. Keyword-only, atomic; errors are ServiceValidationError by field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core.errors import FieldErrors, ServiceValidationError
from flows.engine import FlowError, ParameterError
from flows.engine.sqlcheck import recipe_sql_errors
from flows.models import (
    MAX_WEBHOOKS_PER_FLOW,
    Dataset,
    Flow,
    FlowEmailNotification,
    FlowParameter,
    FlowRun,
    FlowWebhook,
    Output,
    Recipe,
    RecipeStep,
)
from flows.parameters import FLOW_TASK_TYPE, check_value, flows_of_plan
from flows.specs import flow_problem
from runs.models import Job


def _connection_id(value: Any) -> int | None:
    return value.pk if hasattr(value, "pk") else value


def _unusable_connections(owner: AbstractBaseUser, definition: Mapping[str, Any]) -> FieldErrors:
    """Errors for dataset and output connections the flow's owner may not use: runs of the flow
    read and write with its owner's access (the message a missing id gets, so nothing leaks)."""
    from connections.selectors import connections_visible_to

    errors: FieldErrors = {}
    for part in ("datasets", "outputs"):
        for index, item in enumerate(definition.get(part, [])):
            pk = _connection_id(item.get("connection"))
            if pk is not None and not connections_visible_to(owner).filter(pk=pk).exists():
                errors[f"{part}[{index}].connection"] = [
                    f"No connection with id {pk} that the flow's owner may use."
                ]
    return errors


@transaction.atomic
def flow_create(
    *, owner: AbstractBaseUser, name: str, description: str = "", definition: Mapping[str, Any]
) -> Flow:
    """Create a flow with its parts from `definition`, then check it with the engine.

    `definition` holds `parameters` [{name, type, default}], `datasets` [{name, connection
    (id, Connection or None), path, format, options}], `recipes` [{name, source: {"dataset"|
    "recipe": name}, steps: [{kind, ...options}]}] and `outputs` [{name, recipe, connection,
    path, format, mode, options}]. Raises ServiceValidationError (nothing saved) when the name is
    taken or the engine refuses the flow; user SQL the engine refuses is keyed by its field
    (`recipes[0].steps[1].query`).
    """
    if Flow.objects.filter(name=name).exists():
        raise ServiceValidationError({"name": ["A flow with this name already exists."]})
    refused = {
        **_unusable_connections(owner, definition),
        **recipe_sql_errors(definition.get("recipes")),
    }
    if refused:
        raise ServiceValidationError(refused)
    flow = Flow.objects.create(owner=owner, name=name, description=description)
    for item in definition.get("parameters", []):
        FlowParameter.objects.create(
            flow=flow, name=item["name"], type=item["type"], default=item.get("default")
        )
    for item in definition.get("datasets", []):
        Dataset.objects.create(
            flow=flow,
            name=item["name"],
            connection_id=_connection_id(item.get("connection")),
            path=item["path"],
            format=item.get("format", "csv"),
            options=item.get("options") or {},
        )
    recipes: dict[str, Recipe] = {}
    for item in definition.get("recipes", []):
        ((kind, source),) = dict(item["source"]).items()
        recipe = Recipe.objects.create(
            flow=flow, name=item["name"], source_kind=kind, source_name=source
        )
        recipes[recipe.name] = recipe
        for position, step in enumerate(item.get("steps", []), start=1):
            options = {k: v for k, v in step.items() if k != "kind"}
            RecipeStep.objects.create(
                recipe=recipe, position=position, kind=step["kind"], options=options
            )
    for item in definition.get("outputs", []):
        if item["recipe"] not in recipes:
            transaction.set_rollback(True)
            raise ServiceValidationError({"outputs": [f"No recipe named {item['recipe']!r}."]})
        Output.objects.create(
            flow=flow,
            name=item["name"],
            recipe=recipes[item["recipe"]],
            connection_id=_connection_id(item.get("connection")),
            path=item["path"],
            format=item.get("format", "csv"),
            mode=item.get("mode", "replace"),
            options=item.get("options") or {},
        )
    problem = flow_problem(flow)
    if problem:
        transaction.set_rollback(True)
        raise ServiceValidationError({"flow": [problem]})
    return flow


def flow_check(*, flow: Flow) -> None:
    """Raise ServiceValidationError when the engine refuses the flow as it now stands."""
    problem = flow_problem(flow)
    if problem:
        raise ServiceValidationError({"flow": [problem]})


@transaction.atomic
def webhook_create(
    *,
    flow: Flow,
    name: str,
    url: str,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    body: str = "",
    notify_on: str = "success",
    outputs: list[str] | None = None,
    secret_key: str | None = None,
    retries: int = 2,
    timeout_seconds: int = 30,
) -> FlowWebhook:
    """Add a webhook to `flow`. `outputs` None means every output; otherwise output names.

    `secret_key` is encrypted into a new Secret row (write-only). Raises ServiceValidationError
    for bad fields, unknown outputs or when the flow already has MAX_WEBHOOKS_PER_FLOW.
    """
    from flows.notifications.webhooks import clean_webhook_fields

    method = method.upper()
    errors = clean_webhook_fields(
        url=url, method=method, headers=headers or {}, body=body, retries=retries
    )
    if FlowWebhook.objects.filter(flow=flow).count() >= MAX_WEBHOOKS_PER_FLOW:
        errors.setdefault("webhooks", []).append(
            f"A flow has at most {MAX_WEBHOOKS_PER_FLOW} webhooks."
        )
    chosen = list(Output.objects.filter(flow=flow, name__in=outputs or []))
    missing = sorted(set(outputs or []) - {o.name for o in chosen})
    if missing:
        errors["outputs"] = [f"The flow has no output named {', '.join(missing)}."]
    if errors:
        raise ServiceValidationError(errors)
    webhook = FlowWebhook.objects.create(
        flow=flow,
        name=name,
        url=url,
        method=method,
        headers=dict(headers or {}),
        body=body,
        notify_on=notify_on,
        all_outputs=outputs is None,
        retries=retries,
        timeout_seconds=timeout_seconds,
    )
    webhook.outputs.set(chosen)
    if secret_key:
        webhook_set_secret(webhook=webhook, secret_key=secret_key)
    return webhook


@transaction.atomic
def webhook_set_secret(*, webhook: FlowWebhook, secret_key: str | None) -> FlowWebhook:
    """Replace (text) or remove (None) the webhook's signing key. Secret rows are immutable:
    a new row is made and the old one deleted."""
    from connections.models import Secret
    from connections.secrets import encrypt_secret

    old = webhook.secret_id
    webhook.secret = (
        Secret.objects.create(ciphertext=encrypt_secret(secret_key)) if secret_key else None
    )
    webhook.save(update_fields=["secret"])
    if old is not None:
        Secret.objects.filter(pk=old).delete()
    return webhook


def email_notification_create(
    *, flow: Flow, on_success: list[str] | str = "", on_failure: list[str] | str = ""
) -> FlowEmailNotification:
    """Add recipients mailed when a job of `flow` succeeds / fails."""
    from django.core.validators import validate_email

    texts = {
        "onSuccess": on_success if isinstance(on_success, str) else ", ".join(on_success),
        "onFailure": on_failure if isinstance(on_failure, str) else ", ".join(on_failure),
    }
    errors: FieldErrors = {}
    for field_name, text in texts.items():
        for address in FlowEmailNotification.split(text):
            try:
                validate_email(address)
            except Exception:
                errors.setdefault(field_name, []).append(f"{address!r} is not an email address.")
    if errors:
        raise ServiceValidationError(errors)
    return FlowEmailNotification.objects.create(
        flow=flow, on_success=texts["onSuccess"], on_failure=texts["onFailure"]
    )


def plan_override_check(*, plan: Any, flow: Flow, name: str, value: Any) -> Any:
    """The value to store for the plan's override of `flow`'s parameter `name` (its type's JSON,
    dates as text). Raises ServiceValidationError keyed `parameterOverrides.<flow>.<name>` when no
    task of the plan uses the flow, the parameter is unknown or the value does not fit."""
    path = f"parameterOverrides.{flow.name}.{name}"
    if flow.pk not in {f.pk for f in flows_of_plan(plan)}:
        raise ServiceValidationError({path: [f"No task of this plan uses the flow '{flow.name}'."]})
    parameter = FlowParameter.objects.filter(flow=flow, name=name).first()
    if parameter is None:
        raise ServiceValidationError({path: [f"The flow '{flow.name}' has no parameter {name!r}."]})
    try:
        clean = check_value(parameter, value)
    except ParameterError as error:
        raise ServiceValidationError({path: [error.message]}) from None
    return clean


@transaction.atomic
def plan_override_set(*, plan: Any, flow: Flow, name: str, value: Any) -> Any:
    """Set the plan's value of parameter `name` of `flow` (which one of its tasks must use) and
    return the stored value.

    Checked by `plan_override_check` (raising ServiceValidationError); replaces an existing value.
    """
    clean = plan_override_check(plan=plan, flow=flow, name=name, value=value)
    stored = type(plan).objects.select_for_update().get(pk=plan.pk).parameter_overrides or {}
    overrides = {**stored, flow.name: {**stored.get(flow.name, {}), name: clean}}
    type(plan).objects.filter(pk=plan.pk).update(parameter_overrides=overrides)
    plan.parameter_overrides = overrides
    return clean


@transaction.atomic
def plan_override_clear(*, plan: Any, flow: Flow, name: str) -> bool:
    """Remove the plan's override of `name`; True if there was one."""
    overrides = dict(
        type(plan).objects.select_for_update().get(pk=plan.pk).parameter_overrides or {}
    )
    values = dict(overrides.get(flow.name, {}))
    if name not in values:
        return False
    del values[name]
    if values:
        overrides[flow.name] = values
    else:
        overrides.pop(flow.name, None)
    type(plan).objects.filter(pk=plan.pk).update(parameter_overrides=overrides)
    plan.parameter_overrides = overrides
    return True


@transaction.atomic
def flow_run_adhoc(
    *,
    flow: Flow,
    requested_by: AbstractBaseUser | None = None,
    outputs: list[str] | None = None,
    parameter_overrides: Mapping[str, Any] | None = None,
) -> FlowRun:
    """Queue an ad-hoc run of `flow` (no plan): a `FlowRun` and its pending `runs.Job` (no run;
    it acts with the flow owner's access), executed by the engine's `execute_job` Celery task
    enqueued on commit. `outputs` None builds all. Raises ServiceValidationError for unknown
    outputs or parameters, values of the wrong type, or a flow the engine refuses.
    """
    errors: FieldErrors = {}
    known = set(flow.outputs.values_list("name", flat=True))
    missing = sorted(set(outputs or []) - known)
    if missing:
        errors["outputs"] = [f"The flow has no output named {', '.join(missing)}."]
    declared = {p.name: p for p in flow.parameters.all()}
    for name, value in (parameter_overrides or {}).items():
        parameter = declared.get(name)
        try:
            if parameter is None:
                raise ParameterError(f"The flow has no parameter named {name!r}.")
            check_value(parameter, value)
        except FlowError as error:
            errors[f"parameterOverrides.{name}"] = [error.message]
    problem = flow_problem(flow)
    if problem:
        errors["flow"] = [problem]
    if errors:
        raise ServiceValidationError(errors)
    by = requested_by if requested_by is not None and requested_by.is_authenticated else None
    selected = list(outputs or [])
    overrides = dict(parameter_overrides or {})
    job = Job.objects.create(
        run=None,
        plan=None,
        position=1,
        task_name=flow.name,
        task_type=FLOW_TASK_TYPE,
        owner=flow.owner,
        spec={
            "name": flow.name,
            "type": FLOW_TASK_TYPE,
            "config": {"flow": flow.pk, "flowName": flow.name, "outputs": selected},
            # The run layer, in the shape runs give it: {"<flow name>": {...}}.
            "parameterOverrides": {flow.name: overrides},
        },
    )
    flow_run = FlowRun.objects.create(
        flow=flow, job=job, requested_by=by, outputs=selected, parameter_overrides=overrides
    )

    def enqueue() -> None:
        from tasks_engine.tasks import execute_job

        execute_job.delay(job.pk)

    transaction.on_commit(enqueue)
    return flow_run
