"""The HTTP task: one request, success decided by its status code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from tasks_engine import http_client
from tasks_engine.executors.base import (
    ConfigErrors,
    ExecutionContext,
    ExecutionResult,
    TaskType,
    add_error,
    bool_field,
    int_field,
    str_field,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
BODY_METHODS = ("POST", "PUT", "PATCH")
_REFERENCE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CODE_CLASS = re.compile(r"^[1-5]xx$")
_url_validator = URLValidator(schemes=["http", "https"])


def _clean_headers(errors: ConfigErrors, raw: Any) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        add_error(errors, "headers", "Headers must be an object of names to values.")
        return {}
    headers: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            add_error(errors, "headers", f"{name!r} is not a valid header name.")
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            add_error(errors, "headers", f"The value of header {name!r} must be text.")
        elif "\n" in str(value) or "\r" in str(value):
            add_error(errors, "headers", f"The value of header {name!r} must be on one line.")
        else:
            headers[name] = str(value)
    return headers


def _clean_success_codes(errors: ConfigErrors, raw: Any) -> list[int | str]:
    if raw in (None, []):
        return ["2xx"]
    if not isinstance(raw, list):
        add_error(
            errors, "successCodes", 'Give a list of codes and classes, e.g. [200, 204, "3xx"].'
        )
        return ["2xx"]
    codes: list[int | str] = []
    for item in raw:
        if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
            codes.append(item)
        elif isinstance(item, str) and item.isdigit() and 100 <= int(item) <= 599:
            codes.append(int(item))
        elif isinstance(item, str) and _CODE_CLASS.match(item.lower()):
            codes.append(item.lower())
        else:
            add_error(
                errors,
                "successCodes",
                f'{item!r} is neither a status code (100-599) nor a class like "2xx".',
            )
    return codes


class HttpTask(TaskType):
    type = "http"
    label = "HTTP request"
    secret_fields = ("secretKey",)
    reference_fields = ("url", "headers", "body")

    def clean_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigErrors]:
        errors: ConfigErrors = {}
        method = str(config.get("method") or "GET").upper()
        if method not in METHODS:
            add_error(errors, "method", f"Choose one of {', '.join(METHODS)}.")
        url = str_field(errors, config, "url", required=True, max_length=4000).strip()
        if url and "url" not in errors:
            try:
                _url_validator(_REFERENCE.sub("x", url))
            except ValidationError:
                add_error(errors, "url", "Enter a valid URL.")
        headers = _clean_headers(errors, config.get("headers"))
        body = str_field(errors, config, "body", required=False, max_length=1_000_000)
        if body and method not in BODY_METHODS:
            add_error(errors, "body", f"A body is allowed only for {', '.join(BODY_METHODS)}.")
        clean = {
            "method": method,
            "url": url,
            "headers": headers,
            "body": body,
            "timeoutSeconds": int_field(
                errors, config, "timeoutSeconds", default=30, low=1, high=3600
            ),
            "retries": int_field(errors, config, "retries", default=0, low=0, high=10),
            "validateSsl": bool_field(errors, config, "validateSsl", default=True),
            "successCodes": _clean_success_codes(errors, config.get("successCodes")),
        }
        unknown = set(config) - set(clean) - {"secretKey", "secretKeySet"}
        for name in sorted(unknown):
            add_error(errors, name, "Unknown field.")
        return clean, errors

    def build_request(
        self, config: Mapping[str, Any], context: ExecutionContext
    ) -> http_client.HttpRequest:
        """The request with references filled and, when a secret key is set, its signature."""
        headers = {
            context.render(name): context.render(value) for name, value in config["headers"].items()
        }
        body = context.render(config["body"]).encode() if config["method"] in BODY_METHODS else None
        secret = context.secret("secretKey")
        if secret:
            headers.update(http_client.signature_headers(secret, body or b""))
        return http_client.HttpRequest(
            method=config["method"],
            url=context.render(config["url"]),
            headers=headers,
            body=body,
            timeout=config["timeoutSeconds"],
            verify=config["validateSsl"],
        )

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        config = spec["config"]
        request = self.build_request(config, context)
        context.log(f"{request.method} {request.url}")
        outcome = http_client.send_with_retries(
            request,
            retries=config["retries"],
            is_success=lambda code: http_client.status_matches(code, config["successCodes"]),
            log=context.log,
            cancel=context.cancel,
        )
        result: dict[str, Any] = {
            "request": {
                "method": request.method,
                "url": request.url,
                "headers": http_client.mask_headers(request.headers),
                "body": (request.body or b"")[: http_client.SHOWN_BODY_BYTES].decode(
                    "utf-8", errors="replace"
                ),
            },
            "attempts": outcome.attempts,
        }
        if outcome.response is not None:
            result["response"] = outcome.response.as_result()
            result["statusCode"] = outcome.response.status_code
        if outcome.canceled:
            return ExecutionResult(status="canceled", result=result, error="Canceled.")
        if outcome.error:
            return ExecutionResult(status="failed", result=result, error=outcome.error)
        return ExecutionResult(status="succeeded", result=result)
