"""The Slack task: post a message (references filled in) to a channel through a Slack connection."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from tasks_engine import slack_client
from tasks_engine.executors.base import (
    ConfigErrors,
    ExecutionContext,
    ExecutionResult,
    TaskType,
    add_error,
    str_field,
)

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


class SlackTask(TaskType):
    """Config `{"connection": <Slack connection id>, "channel", "message"}`; the message may
    hold references. Retryable Slack errors are tried again up to RETRIES times."""

    type = "slack"
    label = "Slack message"
    connection_fields = ("connection",)
    reference_fields = ("message",)

    def clean_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigErrors]:
        from tasks_engine.connections import clean_connection_field

        errors: ConfigErrors = {}
        connection = clean_connection_field(config, errors, kinds=("slack",))
        channel = str_field(errors, config, "channel", required=True, max_length=200).strip()
        if channel and (any(c.isspace() for c in channel) or "{{" in channel):
            add_error(errors, "channel", "Give a channel name (#general) or ID, without spaces.")
        message = str_field(errors, config, "message", required=True, max_length=40_000)
        clean = {
            "connection": connection,
            "channel": channel,
            "message": message,
        }
        for name in sorted(set(config) - set(clean)):
            add_error(errors, name, "Unknown field.")
        return clean, errors

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        from tasks_engine.connections import connection_resolve
        from tasks_engine.errors import JobError

        config = spec["config"]
        connection = connection_resolve(config["connection"], kinds=("slack",))
        token = connection.secrets.get("token")
        if not token:
            raise JobError(f"The Slack connection '{connection.name}' has no token set.")
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
            raise JobError(str(error)) from None
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
