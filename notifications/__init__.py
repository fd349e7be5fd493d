"""Plan email notifications: who is mailed when a run of a plan ends, and the mailing.

- `services`: reading and changing a plan's recipient lists (validated), unsubscribing.
- `receivers`: on `runs.signals.run_finished`, enqueue `notifications.send_run_emails` on commit.
- `sending`: the Celery task's body; one mail per recipient, each recorded as a `PlanRunEmail`.
- `message`: subject, body and headers of one mail.
- `tokens`: the signed unsubscribe token.
- `workspace`: the workspace-wide switch.
"""
