"""Posting to Slack with slack_sdk, turning Slack's answers into errors an operator can act on.

slack_sdk's own retry handlers are switched off: the job runner decides whether and when to try
again, using `SlackError.retryable` and `retry_after`. No message ever includes the token.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

DEFAULT_BASE_URL = "https://slack.com/api/"

# Slack answers these when its side had a passing problem; trying again later may work.
_PASSING_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


@dataclass(frozen=True)
class SlackPostResult:
    """What Slack answered to a posted message: its timestamp id and the channel's ID."""

    ts: str
    channel: str


class SlackError(Exception):
    """Posting failed. `code` is Slack's error string (None for network failures).

    `retryable` tells whether the same call may succeed later; `retry_after` is the wait in
    seconds Slack asked for (429), else None.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code


def _channel_label(channel: str) -> str:
    return channel if channel.startswith("#") else f"#{channel}"


def _message_for(code: str, channel: str) -> str:
    where = _channel_label(channel)
    messages = {
        "channel_not_found": f"Slack has no channel {where} visible to the app: check its name "
        "or ID (private channels need the app invited).",
        "not_in_channel": f"The Slack app is not in {where}: invite it or give the token "
        "chat:write.public.",
        "is_archived": f"The Slack channel {where} is archived.",
        "invalid_auth": "Slack rejected the token (invalid_auth): check the connection's token.",
        "not_authed": "No Slack token was sent: set the connection's token.",
        "account_inactive": "The Slack token belongs to a deactivated user or app: issue a new "
        "token.",
        "token_revoked": "The Slack token was revoked: issue a new token.",
        "missing_scope": "The Slack token lacks the chat:write scope: add it to the app and "
        "reinstall it.",
        "ratelimited": "Slack is rate limiting this app; try again later.",
        "msg_too_long": "The Slack message is too long.",
        "no_text": "The Slack message is empty.",
    }
    return messages.get(code, f"Slack refused the message to {where} ({code}).")


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def post_message(
    *,
    token: str,
    channel: str,
    text: str,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 30.0,
) -> SlackPostResult:
    """Post `text` to `channel` (name, #name or ID) with chat.postMessage, once.

    Raises SlackError: retryable for HTTP 429 (with `retry_after` from Retry-After), 5xx answers,
    Slack's passing errors, timeouts and connection failures; not retryable for the rest
    (unknown channel, app not in it, bad, revoked or under-scoped token, ...).
    """
    # retry_handlers=[] switches off slack_sdk's connection-error retries (the default).
    # The timeout goes straight to urllib, which takes seconds as a float despite the int hint.
    client = WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]
        retry_handlers=[],
    )
    try:
        response = client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        status = error.response.status_code
        data = error.response.data if isinstance(error.response.data, dict) else {}
        code = str(data.get("error") or ("ratelimited" if status == 429 else f"http_{status}"))
        if status == 429:
            retry_after = _retry_after(
                error.response.headers.get("Retry-After")
                or error.response.headers.get("retry-after")
            )
            message = _message_for("ratelimited", channel)
            if retry_after is not None:
                message = f"Slack is rate limiting this app; retry after {retry_after:g} s."
            raise SlackError(
                message, retryable=True, retry_after=retry_after, code="ratelimited"
            ) from None
        retryable = status >= 500 or code in _PASSING_ERRORS
        raise SlackError(_message_for(code, channel), retryable=retryable, code=code) from None
    except (OSError, http.client.HTTPException) as error:
        # URLError, timeouts, refused or reset connections: nothing reached Slack or came back.
        reason = getattr(error, "reason", None) or error.__class__.__name__
        raise SlackError(
            f"Could not reach Slack at {base_url}: {reason}.", retryable=True
        ) from None
    except SlackClientError as error:
        raise SlackError(f"The Slack client failed: {error.__class__.__name__}.") from None
    return SlackPostResult(ts=str(response["ts"]), channel=str(response["channel"]))
