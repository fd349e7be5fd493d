"""Housekeeping: events past the retention period are deleted (scheduled by tasks_engine)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audit.purge_expired")
def purge_expired() -> int:
    from audit.services import audit_purge_expired

    return audit_purge_expired()
