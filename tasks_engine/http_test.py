"""The admin's **Test** button for HTTP tasks: send the request once, outside any run.

References are filled with sample values (there is no run to take them from), the request is
signed when a secret key is given, and the answer is returned for display. Nothing is saved:
no run, no job, no log line.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from core.errors import TaskError
from plans import references
from tasks_engine import http_client
from tasks_engine.rendering import render_text
from tasks_engine.task_types.base import ExecutionContext
from tasks_engine.task_types.http import HttpTask

# An admin waiting on a page: never longer than this, whatever the task's own timeout.
MAX_TEST_TIMEOUT_S = 30
_LEAF_SAMPLES: dict[str, Any] = {
    "name": "Sample task",
    "status": "succeeded",
    "duration": 1.5,
    "statusCode": 200,
    "body": "",
}


def sample_plan_values() -> dict[str, Any]:
    """`$plan` as the test request sees it."""
    now = timezone.now().isoformat().replace("+00:00", "Z")
    return {
        "name": "Sample plan",
        "id": 0,
        "runId": 0,
        "url": settings.SITE_URL + "/runs/0/",
        "startTime": now,
        "duration": 0,
        "user": "",
        "taskCount": 1,
    }


def _leaf(path: tuple[Any, ...]) -> Any:
    names = [segment for segment in path if isinstance(segment, str)]
    last = names[-1] if names else ""
    if last in ("startTime", "endTime"):
        return timezone.now().isoformat().replace("+00:00", "Z")
    if len(names) >= 2 and names[0] == "response" and names[1] in ("json", "headers"):
        return "sample"
    return _LEAF_SAMPLES.get(last, "sample")


def _place(node: Any, path: tuple[Any, ...], leaf: Any) -> Any:
    """`node` extended so that following `path` reaches a value (`leaf` if nothing is there)."""
    if not path:
        return leaf if node is None else node
    segment, rest = path[0], path[1:]
    if isinstance(segment, int):
        items = node if isinstance(node, list) else []
        needed = segment + 1 if segment >= 0 else -segment
        items.extend([None] * (needed - len(items)))
        position = segment if segment >= 0 else len(items) + segment
        items[position] = _place(items[position], rest, leaf)
        return items
    mapping = node if isinstance(node, dict) else {}
    mapping[segment] = _place(mapping.get(segment), rest, leaf)
    return mapping


def sample_context(texts: list[str]) -> dict[str, Any]:
    """A context that fills every reference in `texts`: `$plan` with sample values, and each
    task root with made-up values along exactly the paths the texts use."""
    context: dict[str, Any] = {"plan": sample_plan_values()}
    for text in texts:
        try:
            template = references.parse(text)
        except references.ReferenceSyntaxError:
            continue  # rendering reports it
        for reference in template.references:
            if reference.root == "plan":
                continue
            context[reference.root] = _place(
                context.get(reference.root), reference.path, _leaf(reference.path)
            )
    return context


def http_test_request(config: Mapping[str, Any], secret: str | None = None) -> dict[str, Any]:
    """Send the HTTP task `config` once, with sample reference values, and report the answer.

    `secret` is the plaintext secret key to sign with (None: unsigned). Returns
    `{"ok", "errors", "error", "request", "response"}`: `errors` are config errors by field (then
    nothing is sent); `error` a failure to send or fill references; `request` what was sent
    (credential-like headers masked); `response` `{"statusCode", "reason", "headers", "body",
    "bodyTruncated", "elapsedMs"}` or None; `ok` whether the status is among `successCodes`.
    No run, job or log line is created, and the secret is never in the result.
    """
    task = HttpTask()
    clean, errors = task.clean_config(config)
    outcome: dict[str, Any] = {
        "ok": False,
        "errors": errors,
        "error": "",
        "request": None,
        "response": None,
    }
    if errors:
        outcome["error"] = "The configuration is not valid."
        return outcome
    context_values = sample_context(task.reference_texts(clean))
    context = ExecutionContext(
        job_id=0,
        run_id=None,
        log=lambda message: None,
        render=lambda text: render_text(text, context_values) if "{{" in text else text,
        secret=lambda name: secret if name == "secretKey" else None,
        cancel=threading.Event(),
    )
    try:
        request = task.build_request(clean, context)
    except TaskError as exc:
        outcome["error"] = str(exc)
        return outcome
    request.timeout = min(request.timeout, MAX_TEST_TIMEOUT_S)
    outcome["request"] = {
        "method": request.method,
        "url": request.url,
        "headers": http_client.mask_headers(request.headers),
        "body": (request.body or b"")[: http_client.SHOWN_BODY_BYTES].decode(
            "utf-8", errors="replace"
        ),
    }
    try:
        response = http_client.send(request)
    except http_client.RequestTimedOut as exc:
        outcome["error"] = str(exc)
        return outcome
    except requests.RequestException as exc:
        outcome["error"] = f"The request failed: {exc.__class__.__name__}."
        return outcome
    outcome["response"] = response.as_result()
    outcome["ok"] = http_client.status_matches(response.status_code, clean["successCodes"])
    if not outcome["ok"]:
        outcome["error"] = f"HTTP {response.status_code} is not among the success codes."
    return outcome
