"""`TriggerScheduler`: django-celery-beat's DatabaseScheduler without interval drift.

Stock beat counts an interval from the moment it *sent* the previous message, so every message
is a little later than the one before (a few ms per tick: waking up, reading the database);
after enough ticks the lag is a whole period and `fire_trigger` sees two slots at once (it then
starts one as a late catch-up, so nothing is lost, but runs start later and later).
This scheduler counts an interval from the slot it stood for instead: the next message is due
exactly one period after the previous due time, whatever the send delay was.

    celery -A orchestration_site beat --scheduler scheduling.scheduler:TriggerScheduler

Crontab, clocked and solar schedules behave exactly as in the stock scheduler, and the stock
scheduler remains fully supported (see docs/decisions/schedules.md for the measured difference).
"""

from __future__ import annotations

from datetime import datetime

from celery import schedules
from celery.utils.time import maybe_make_aware
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


class AnchoredModelEntry(ModelEntry):
    """A ModelEntry whose interval schedule keeps its phase."""

    def _due_time(self, now: datetime) -> datetime:
        previous = self.last_run_at
        # Only plain intervals (crontab, solar and clocked are other BaseSchedule subclasses).
        if previous is None or type(self.schedule) is not schedules.schedule:
            return now
        previous = maybe_make_aware(previous)
        now_aware = maybe_make_aware(now)
        period = self.schedule.run_every
        if now_aware < previous or not period:
            return now
        # The latest due time not after now: one period on, or several after a pause of beat.
        steps = max(1, (now_aware - previous) // period)
        return previous + steps * period

    def __next__(self) -> AnchoredModelEntry:
        self.model.last_run_at = self._due_time(self._default_now())
        self.model.total_run_count += 1
        self.model.no_changes = True
        return self.__class__(self.model)


class TriggerScheduler(DatabaseScheduler):
    """The DatabaseScheduler with `AnchoredModelEntry` entries."""

    Entry = AnchoredModelEntry
