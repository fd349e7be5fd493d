"""The HTTP task: one request, success decided by its status code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from plans.references import FieldSchema
from plans.task_types import register
from plans.task_types.fields import (
    SecretField,
    StrictBooleanField,
    StrictCharField,
    UpperChoiceField,
    WholeNumberField,
)
from tasks_engine import http_client
from tasks_engine.task_types.base import ExecutableTaskType, ExecutionContext, ExecutionResult
from tasks_engine.task_types.fields import HeadersField, SuccessCodesField

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
BODY_METHODS = ("POST", "PUT", "PATCH")
_REFERENCE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_url_validator = URLValidator(schemes=["http", "https"])


class HttpConfig(serializers.Serializer):
    """An HTTP task's config."""

    method = UpperChoiceField(METHODS, default="GET", help_text="The HTTP method.")
    url = StrictCharField(
        max_length=4000,
        label="URL",
        help_text="http:// or https://; may hold references such as {{$plan.name}}.",
        style={"references": True},
    )
    headers = HeadersField(
        help_text="Header names and values; values may hold references.",
        style={"references": True},
    )
    body = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1_000_000,
        help_text="Sent with POST, PUT and PATCH; may hold references.",
        style={"references": True, "widget": "textarea"},
    )
    timeoutSeconds = WholeNumberField(
        min_value=1, max_value=3600, default=30, label="Timeout (s)",
        help_text="The whole request, all retries included, ends after this many seconds.",
    )  # fmt: skip
    retries = WholeNumberField(
        min_value=0, max_value=10, default=0,
        help_text="Tries again after a failure, waiting longer each time.",
    )  # fmt: skip
    validateSsl = StrictBooleanField(
        default=True, label="Validate SSL", help_text="Refuse invalid HTTPS certificates."
    )
    successCodes = SuccessCodesField(
        help_text='Codes and classes that count as success, e.g. 200, 204, "3xx"; default 2xx.'
    )
    secretKey = SecretField(
        help_text="Signs the body (X-Plans-Signature) so the receiver can verify the sender.",
    )

    def validate_url(self, value: str) -> str:
        url = value.strip()
        try:
            # References are filled in at run time; the URL around them must still be valid.
            _url_validator(_REFERENCE.sub("x", url))
        except ValidationError:
            raise serializers.ValidationError("Enter a valid URL.") from None
        return url

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("body") and attrs.get("method") not in BODY_METHODS:
            raise serializers.ValidationError(
                {"body": f"A body is allowed only for {', '.join(BODY_METHODS)}."}
            )
        return attrs


class HttpTask(ExecutableTaskType):
    name = "http"
    label = "HTTP request"
    description = "Send one HTTP request; its status code decides success."
    config_serializer = HttpConfig
    secret_fields = ("secretKey",)
    reference_fields = ("url", "headers", "body")
    offers = {
        "statusCode": FieldSchema.leaf(),
        "response": FieldSchema.of("body", headers=FieldSchema.any(), json=FieldSchema.any()),
    }

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


register(HttpTask())
