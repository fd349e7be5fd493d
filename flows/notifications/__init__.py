"""What a flow job sends when it ends: webhooks and email, recorded on the job, never fatal.

`notify_flow_job` is called by the flow executor once the job's outcome is known and before it
is recorded, so `{{$job.status}}` and the mail say the outcome the job is about to be given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event
from typing import Any

from core.urls import page_url
from flows.models import Flow


@dataclass(frozen=True)
class JobFacts:
    """What notifications say about one ended flow job.

    `outputs` are the job's selected output names in flow order; `written` maps an output name
    to its result dict (`name`, `path`, `format`, `rowCount`, ...) for the outputs written.
    `plan` is `{"id", "runId", "url"}` when the job ran inside a plan run, else None.
    """

    job_id: int
    status: str
    outputs: list[str]
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    error: str = ""

    @property
    def job_url(self) -> str:
        return page_url("runs:job", self.job_id)


def notify_flow_job(
    flow: Flow, facts: JobFacts, *, log: Callable[[str], None], cancel: Event | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Send the flow's matching webhooks and mails; `{"webhooks": [...], "emails": [...]}`."""
    from flows.notifications.email import send_flow_emails
    from flows.notifications.webhooks import send_flow_webhooks

    return {
        "webhooks": send_flow_webhooks(flow, facts, log=log, cancel=cancel),
        "emails": send_flow_emails(flow, facts, log=log),
    }


def matches(notify_on: str, status: str) -> bool:
    """Whether a notification set to `notify_on` (success|failure|any) fires for `status`."""
    if notify_on == "any":
        return status in ("succeeded", "failed")
    return (notify_on, status) in (("success", "succeeded"), ("failure", "failed"))
