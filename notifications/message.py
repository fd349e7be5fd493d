"""One mail about an ended run: subject, plain-text body and headers.

The body says only what Run Details shows (statuses, times, job errors): never a task's
config, request or secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from core.formatting import duration_text
from core.urls import page_url
from notifications.services import LISTS
from notifications.tokens import unsubscribe_token
from plans.models import Plan
from runs.models import Job, PlanRun, RunSource, RunStatus

JOB_ERROR_CHARS = 500
_OUTCOME = {
    RunStatus.SUCCEEDED: "succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELED: "was canceled",
}


def recipients_for(lists: dict[str, list[str]], status: str) -> list[str]:
    """The addresses to mail about a run that ended in `status`, each once (ignoring case).

    `lists` maps the API list names (`onSuccess`, `onFailure`, `onAny`) to addresses.
    """
    applying = ["onAny"]
    if status == RunStatus.SUCCEEDED:
        applying.insert(0, "onSuccess")
    elif status == RunStatus.FAILED:
        applying.insert(0, "onFailure")
    seen: set[str] = set()
    addresses: list[str] = []
    for name in applying:
        for address in lists.get(name, []):
            if address.lower() not in seen:
                seen.add(address.lower())
                addresses.append(address)
    return addresses


@dataclass(frozen=True)
class RunFacts:
    """What every mail about one run says; built once per run, then addressed per recipient."""

    plan: Plan
    run: PlanRun
    jobs: list[Job]

    @property
    def subject(self) -> str:
        # One line: a name with a line break would make the header invalid.
        name = " ".join(self.plan.name.split())
        return f"Plan '{name}' {self.outcome} (run #{self.run.pk})"

    @property
    def outcome(self) -> str:
        return _OUTCOME.get(self.run.status, self.run.status)

    @property
    def run_url(self) -> str:
        return page_url("runs:detail", self.run.pk)


def run_facts(run: PlanRun) -> RunFacts:
    """The run with its plan, trigger, requester and jobs in order (four queries)."""
    run = PlanRun.objects.select_related("plan", "trigger", "requested_by").get(pk=run.pk)
    return RunFacts(plan=run.plan, run=run, jobs=list(run.jobs.order_by("position", "id")))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value is not None else "—"


def _source(run: PlanRun) -> str:
    by = f", by {run.requested_by.get_username()}" if run.requested_by is not None else ""
    if run.source == RunSource.SCHEDULE:
        trigger = f"trigger '{run.trigger.name}'" if run.trigger is not None else "a trigger"
        late = ", started late" if run.late else ""
        return f"schedule ({trigger}, slot {_when(run.scheduled_for)}{late})"
    if run.source == RunSource.RETRY and run.retry_of_id is not None:
        return f"retry of run #{run.retry_of_id}{by}"
    if run.source == RunSource.API:
        return f"API{by}"
    return f"{run.source}{by}"


def compose(facts: RunFacts, address: str) -> EmailMessage:
    """The mail to `address`, with its own unsubscribe link (body and List-Unsubscribe)."""
    run = facts.run
    unsubscribe_url = page_url(
        "plans:emails_unsubscribe", unsubscribe_token(plan_id=facts.plan.pk, address=address)
    )
    body = render_to_string(
        "plans/emails/run_finished.txt",
        {
            "plan": facts.plan,
            "run": run,
            "run_url": facts.run_url,
            "outcome": facts.outcome,
            "source": _source(run),
            "started": _when(run.started_at),
            "finished": _when(run.finished_at),
            "duration": duration_text(run.duration) or "—",
            "jobs": [(job, " ".join(job.error.split())[:JOB_ERROR_CHARS]) for job in facts.jobs],
            "address": address,
            "unsubscribe_url": unsubscribe_url,
        },
    )
    return EmailMessage(
        subject=facts.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def lists_of(row: object) -> dict[str, list[str]]:
    """A `PlanEmailNotifications` row's lists under their API names."""
    return {name: list(getattr(row, field_name)) for name, field_name in LISTS.items()}
