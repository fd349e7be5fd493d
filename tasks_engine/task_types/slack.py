"""The Slack task: post a message (references filled in) to a channel through a Slack connection."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import serializers

from connections.resolve import connection_resolve
from core.errors import TaskError
from plans.task_types import register
from plans.task_types.fields import ConnectionField, StrictCharField
from tasks_engine import slack_client
from tasks_engine.task_types.base import ExecutableTaskType, ExecutionContext, ExecutionResult

# Slack answers a rate limit with Retry-After; past this many seconds we would rather fail
# clearly than hold a worker (and every later job of the run) for minutes.
MAX_RETRY_WAIT_S = 60.0
SEND_TIMEOUT_S = 30.0
# Retryable errors (rate limits, Slack's passing failures, network) get this many more tries.
RETRIES = 3


def retry_wait(error: slack_client.SlackError, attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`: Slack's Retry-After when it gave one (capped),
    else 1, 2, 4... seconds."""
    if error.retry_after is not None:
        return min(max(error.retry_after, 0.0), MAX_RETRY_WAIT_S)
    return min(float(2 ** (attempt - 1)), MAX_RETRY_WAIT_S)


def post_with_retries(
    *,
    token: str,
    channel: str,
    text: str,
    retries: int,
    log: Any,
    cancel: threading.Event,
    base_url: str | None = None,
) -> slack_client.SlackPostResult | None:
    """Post, trying again up to `retries` times on a retryable Slack error.

    Returns None when `cancel` was set while waiting to retry. Raises SlackError for a
    non-retryable error or when the retries are used up.
    """
    total = retries + 1
    for attempt in range(1, total + 1):
        try:
            result = slack_client.post_message(
                token=token,
                channel=channel,
                text=text,
                base_url=base_url or settings.SLACK_API_URL,
                timeout=SEND_TIMEOUT_S,
            )
        except slack_client.SlackError as error:
            log(f"Attempt {attempt}/{total}: {error}")
            if not error.retryable or attempt == total:
                raise
            wait = retry_wait(error, attempt)
            log(f"Retrying in {wait:g} s.")
            if cancel.wait(wait):
                return None
        else:
            log(f"Attempt {attempt}/{total}: posted to {channel} (message ts {result.ts}).")
            return result
    raise AssertionError("unreachable")  # pragma: no cover


class SlackConfig(serializers.Serializer):
    """A Slack task's config."""

    connection = ConnectionField(
        kinds=("slack",), help_text="A Slack connection the plan's owner may use."
    )
    channel = StrictCharField(
        max_length=200, help_text="A channel name (#general) or ID, without spaces."
    )
    message = StrictCharField(
        max_length=40_000,
        help_text="The text to post; may hold references such as {{$plan.name}}.",
        style={"references": True, "widget": "textarea"},
    )

    def validate_channel(self, value: str) -> str:
        channel = value.strip()
        if any(c.isspace() for c in channel) or "{{" in channel:
            raise serializers.ValidationError(
                "Give a channel name (#general) or ID, without spaces."
            )
        return channel


class SlackTask(ExecutableTaskType):
    """Post a message to a channel through a Slack connection; retryable Slack errors are tried
    again up to RETRIES times."""

    name = "slack"
    label = "Slack message"
    description = "Post a message to a Slack channel through a Slack connection."
    config_serializer = SlackConfig
    reference_fields = ("message",)

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        config = spec["config"]
        connection = connection_resolve(config["connection"], kinds=("slack",))
        token = connection.secrets.get("token")
        if not token:
            raise TaskError(f"The Slack connection '{connection.name}' has no token set.")
        text = context.render(config["message"])
        context.log(f"Posting to {config['channel']} with connection '{connection.name}'.")
        try:
            posted = post_with_retries(
                token=token,
                channel=config["channel"],
                text=text,
                retries=RETRIES,
                log=context.log,
                cancel=context.cancel,
            )
        except slack_client.SlackError as error:
            raise TaskError(str(error)) from None
        if posted is None:
            return ExecutionResult(status="canceled", error="Canceled.")
        return ExecutionResult(
            status="succeeded",
            result={
                "channel": config["channel"],
                "channelId": posted.channel,
                "ts": posted.ts,
                "text": text,
            },
        )


register(SlackTask())
