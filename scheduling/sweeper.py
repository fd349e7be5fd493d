"""A safety net under beat: fire any trigger whose current slot beat has not fired.

Beat's own crontab arithmetic is not ours: around DST changes celery may skip a local time
that does not exist, and a message can be lost. Every minute the sweeper asks our schedule
math (the same that the preview and `fire_trigger` use) whether a slot is due and unhandled,
and fires it. `fire_trigger` is idempotent per slot, so racing beat's own message is harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from plans.models import Trigger
from scheduling.firing import due_slots, fire_trigger

logger = logging.getLogger(__name__)

# Beat normally fires within milliseconds; give it this long before stepping in.
GRACE = timedelta(seconds=15)


def sweep(*, now: datetime | None = None) -> list[int]:
    """Fire every enabled trigger (of an unpaused plan) with a slot due for longer than GRACE.

    Returns the ids of the triggers fired.
    """
    now = now or timezone.now()
    fired: list[int] = []
    for trigger in Trigger.objects.filter(enabled=True, plan__paused=False).select_related("plan"):
        slots = due_slots(trigger, now=now)
        if slots and now - slots[-1][0] >= GRACE:
            logger.warning(
                "Trigger %s: slot %s was not fired by beat; firing it now.",
                trigger.pk,
                slots[-1][0],
            )
            fire_trigger(trigger.pk, now=now)
            fired.append(trigger.pk)
    return fired
