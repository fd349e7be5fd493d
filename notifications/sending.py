"""Mailing the recipients of one ended run (the body of the `notifications.send_run_emails` task).

Each address gets its own mail (it carries that address's unsubscribe link, and recipients
never see each other's addresses) over one SMTP connection. Every address is recorded as a
`PlanRunEmail`; an address already sent for this run is never sent again, so the task's
retries only try the addresses that failed. Mail trouble never touches the run itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from notifications.message import compose, lists_of, recipients_for, run_facts
from notifications.models import PlanEmailNotifications, PlanRunEmail, RunEmailStatus
from notifications.workspace import plan_emails_allowed
from runs.models import PlanRun
from runs.state import FINAL_RUN_STATUSES

logger = logging.getLogger(__name__)


@dataclass
class SendResult:
    """What one pass did: the addresses mailed now, and those that failed (address -> error)."""

    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def wants_emails(plan_id: int) -> bool:
    """Whether an ended run of the plan may have anyone to mail (cheap: one indexed read)."""
    return (
        plan_emails_allowed()
        and PlanEmailNotifications.objects.filter(plan_id=plan_id, enabled=True).exists()
    )


def send_run_emails(run_id: int) -> SendResult:
    """Mail this run's recipients who have not been mailed about it yet.

    The lists are read now, not when the run ended: someone who unsubscribed meanwhile gets
    nothing. A run that is not ended, or whose plan's emails are off, sends nothing.
    """
    result = SendResult()
    run = PlanRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in FINAL_RUN_STATUSES:
        return result
    settings_row = PlanEmailNotifications.objects.filter(plan_id=run.plan_id).first()
    if settings_row is None or not settings_row.enabled or not plan_emails_allowed():
        return result
    done = set(
        PlanRunEmail.objects.filter(run=run, status=RunEmailStatus.SENT).values_list(
            "address", flat=True
        )
    )
    addresses = [a for a in recipients_for(lists_of(settings_row), run.status) if a not in done]
    if not addresses:
        return result
    facts = run_facts(run)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # the server is down: every address failed this time
        for address in addresses:
            _record(run, address, error=error, result=result)
        return result
    try:
        for address in addresses:
            try:
                if connection.send_messages([compose(facts, address)]) != 1:
                    raise RuntimeError("The mail backend accepted nothing.")
            except Exception as error:  # one refused address must not stop the others
                _record(run, address, error=error, result=result)
            else:
                _record(run, address, error=None, result=result)
    finally:
        try:
            connection.close()
        except Exception:  # closing a connection the server already dropped
            logger.debug("Closing the SMTP connection failed", exc_info=True)
    return result


def _record(run: PlanRun, address: str, *, error: Exception | None, result: SendResult) -> None:
    row, _ = PlanRunEmail.objects.get_or_create(run=run, address=address)
    if error is None:
        PlanRunEmail.objects.filter(pk=row.pk).update(
            status=RunEmailStatus.SENT, attempts=F("attempts") + 1, error="", sent_at=timezone.now()
        )
        result.sent.append(address)
        return
    message = f"{error.__class__.__name__}: {error}"[:2000]
    PlanRunEmail.objects.filter(pk=row.pk).update(
        status=RunEmailStatus.FAILED, attempts=F("attempts") + 1, error=message
    )
    result.failed[address] = message
    logger.warning("Email about run %s to %s failed: %s", run.pk, address, message)
