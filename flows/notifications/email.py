"""Flow email notifications, sent through Django's mail system (SMTP from EMAIL_URL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from flows.models import Flow, FlowEmailNotification
from flows.notifications import JobFacts


def compose(flow: Flow, facts: JobFacts) -> tuple[str, str]:
    """(subject, body): the flow, the outcome, each output with its row count, the job link
    and, in a plan run, the plan id and a link to the run."""
    outcome = "succeeded" if facts.status == "succeeded" else facts.status
    where = f" in plan #{facts.plan['id']} run #{facts.plan['runId']}" if facts.plan else ""
    subject = f"Flow '{flow.name}' {outcome}{where}"
    lines = [f"The flow '{flow.name}' {outcome}{where}.", ""]
    if facts.error:
        lines += [f"Error: {facts.error}", ""]
    lines.append("Outputs:")
    for name in facts.outputs:
        written = facts.written.get(name)
        if written is None:
            lines.append(f"- {name}: not written")
        else:
            lines.append(f"- {name}: {written['rowCount']:,} rows -> {written['path']}")
    lines += ["", f"Job: {facts.job_url}"]
    if facts.plan:
        lines += [f"Plan: #{facts.plan['id']}", f"Plan run: {facts.plan['url']}"]
    return subject, "\n".join(lines) + "\n"


def send_flow_emails(
    flow: Flow, facts: JobFacts, *, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Send one mail per notification row with recipients for this outcome; one record each:
    `{"to": [...], "status": "sent"|"failed", "error"}`. Never raises."""
    records: list[dict[str, Any]] = []
    if facts.status not in ("succeeded", "failed"):
        return records
    subject, body = compose(flow, facts)
    for row in FlowEmailNotification.objects.filter(flow=flow).order_by("id"):
        field = row.on_success if facts.status == "succeeded" else row.on_failure
        recipients = FlowEmailNotification.split(field)
        if not recipients:
            continue
        record: dict[str, Any] = {"to": recipients, "status": "sent", "error": ""}
        try:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
            log(f"Email sent to {', '.join(recipients)}")
        except Exception as error:  # mail trouble is recorded on the job, never fatal
            record.update(status="failed", error=f"{error.__class__.__name__}: {error}")
            log(f"Email to {', '.join(recipients)} failed: {record['error']}")
        records.append(record)
    return records
