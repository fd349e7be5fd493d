"""Flow webhooks: one signed, retried HTTP call per matching output of an ended flow job.

Decision: a webhook is called once per output of the job that it covers (every selected output
when `all_outputs`, else those of its outputs the job was asked to build), with `{{$output.*}}`
bound to that output; an output the job did not write (a failure) has an empty path and
rowCount. A webhook covering none of the job's outputs is not called. `{{$plan.*}}` is empty
outside plan runs. The body is signed with the webhook's secret key exactly like the HTTP task
(`X-Plans-Timestamp`, `X-Plans-Signature`). Failures are recorded, never raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from threading import Event
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from flows.models import Flow, FlowWebhook
from flows.notifications import JobFacts, matches
from plans.references import FieldSchema, validate
from tasks_engine import http_client

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
WEBHOOK_SCHEMA: dict[str, FieldSchema] = {
    "flow": FieldSchema.of("name", "id"),
    "job": FieldSchema.of("id", "status", "url"),
    "output": FieldSchema.of("name", "path", "rowCount", "format"),
    "plan": FieldSchema.of("id", "runId", "url"),
}
_REFERENCE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_url_validator = URLValidator(schemes=["http", "https"])


def clean_webhook_fields(
    *, url: str, method: str, headers: Any, body: str, retries: int
) -> dict[str, list[str]]:
    """Errors by field name for a webhook's request fields ({} when valid): URL, method,
    header names, references (checked against WEBHOOK_SCHEMA), body only for body methods."""
    errors: dict[str, list[str]] = {}
    if method not in METHODS:
        errors["method"] = [f"Choose one of {', '.join(METHODS)}."]
    try:
        _url_validator(_REFERENCE.sub("x", url or ""))
    except ValidationError:
        errors.setdefault("url", []).append("Enter a valid http:// or https:// URL.")
    if not isinstance(headers, Mapping):
        errors["headers"] = ["Headers must be an object of names to values."]
        headers = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            errors.setdefault("headers", []).append(f"{name!r} is not a valid header name.")
        elif not isinstance(value, str) or "\n" in value or "\r" in value:
            errors.setdefault("headers", []).append(f"Header {name!r} needs one line of text.")
    if body and method not in BODY_METHODS:
        errors["body"] = [f"A body is allowed only for {', '.join(BODY_METHODS)}."]
    if not 0 <= retries <= 10:
        errors["retries"] = ["Enter a whole number from 0 to 10."]
    texts = {"url": [url or ""], "headers": [str(v) for v in headers.values()], "body": [body]}
    for field_name, values in texts.items():
        for text in values:
            for message in validate(text, schema=WEBHOOK_SCHEMA):
                errors.setdefault(field_name, []).append(message)
    return errors


def covered_outputs(webhook: FlowWebhook, facts: JobFacts) -> list[str]:
    """The job's outputs this webhook is called for, in the job's order."""
    if webhook.all_outputs:
        return list(facts.outputs)
    mine = {output.name for output in webhook.outputs.all()}
    return [name for name in facts.outputs if name in mine]


def reference_context(flow: Flow, facts: JobFacts, output: str) -> dict[str, Any]:
    written = facts.written.get(output)
    return {
        "flow": {"name": flow.name, "id": flow.pk},
        "job": {"id": facts.job_id, "status": facts.status, "url": facts.job_url},
        "output": {
            "name": output,
            "path": written["path"] if written else "",
            "rowCount": written["rowCount"] if written else None,
            "format": written["format"] if written else "",
        },
        "plan": facts.plan or {"id": None, "runId": None, "url": ""},
    }


def _request(
    webhook: FlowWebhook, context: dict[str, Any], secret: str | None
) -> http_client.HttpRequest:
    from tasks_engine.rendering import render_text

    headers = {name: render_text(str(value), context) for name, value in webhook.headers.items()}
    body = render_text(webhook.body, context).encode() if webhook.method in BODY_METHODS else None
    if secret:
        headers.update(http_client.signature_headers(secret, body or b""))
    return http_client.HttpRequest(
        method=webhook.method,
        url=render_text(webhook.url, context),
        headers=headers,
        body=body,
        timeout=webhook.timeout_seconds,
    )


def send_flow_webhooks(
    flow: Flow, facts: JobFacts, *, log: Callable[[str], None], cancel: Event | None = None
) -> list[dict[str, Any]]:
    """Call every webhook of `flow` that fires for the job's status; one record per call:
    `{"name", "output", "status": "sent"|"failed", "statusCode", "attempts", "error"}`."""
    from connections.resolve import resolve_secret

    records: list[dict[str, Any]] = []
    for webhook in flow.webhooks.prefetch_related("outputs").order_by("id"):
        if not matches(webhook.notify_on, facts.status):
            continue
        for output in covered_outputs(webhook, facts):
            record: dict[str, Any] = {
                "name": webhook.name,
                "output": output,
                "status": "failed",
                "statusCode": None,
                "attempts": 0,
                "error": "",
            }
            records.append(record)
            try:
                secret = resolve_secret(webhook.secret_id)
                request = _request(webhook, reference_context(flow, facts, output), secret)
                log(f"Webhook '{webhook.name}' ({output}): {request.method} {request.url}")
                outcome = http_client.send_with_retries(
                    request,
                    retries=webhook.retries,
                    is_success=lambda code: 200 <= code < 300,
                    log=lambda line, name=webhook.name: log(f"Webhook '{name}': {line}"),
                    cancel=cancel,
                )
            except Exception as error:  # a webhook never fails the job: record why it failed
                record["error"] = str(error) or error.__class__.__name__
                log(f"Webhook '{webhook.name}' failed: {record['error']}")
                continue
            record["attempts"] = outcome.attempts
            if outcome.response is not None:
                record["statusCode"] = outcome.response.status_code
            if outcome.error:
                record["error"] = outcome.error
                log(f"Webhook '{webhook.name}' failed: {outcome.error}")
            else:
                record["status"] = "sent"
    return records
