"""What a trigger's schedule is (`ScheduleSpec`) and how it is validated (`validate_spec`).

Kinds:
- `cron`: a 5-field cron expression (see `cron`) read in the spec's IANA time zone.
- `interval`: every `every` `unit` counted from an anchor: `start_at` when set, else `anchor`
  (the caller passes the trigger's creation time). Fire times are anchor + k * period, k >= 0.
  `seconds`, `minutes` and `hours` are elapsed time, so a DST change does not shift them.
  `days` keeps the anchor's local wall-clock time every N days in the spec's zone (what a user
  who says "every day at 04:30" expects), under the DST rule of `wallclock`; in UTC this is the
  same as N * 24 hours.
- `once`: a single aware instant `run_at`.

`start_at` / `end_at` bound every kind: fire times before `start_at` or after `end_at` are
excluded (both ends inclusive).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from plans.schedules.cron import CronError, parse_cron
from plans.schedules.wallclock import UnknownZoneError, get_zone

KINDS = ("cron", "interval", "once")
UNITS = {
    "seconds": timedelta(seconds=1),
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
}
# Far beyond any real use; keeps datetime arithmetic away from OverflowError.
MAX_INTERVAL = timedelta(days=3660)

_Adder = Callable[[str, str], None]


@dataclass(frozen=True)
class ScheduleSpec:
    """A trigger's schedule, independent of any model. Datetimes must be aware."""

    kind: str
    timezone: str = "UTC"
    cron: str | None = None
    every: int | None = None
    unit: str | None = None
    run_at: datetime | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    anchor: datetime | None = None

    @property
    def interval_anchor(self) -> datetime | None:
        """Where an interval counts from: `start_at` when set, else `anchor` (creation time)."""
        return self.start_at or self.anchor


class ScheduleError(ValueError):
    """An invalid spec handed to a computing function; `errors` is as from `validate_spec`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _aware_or_none(value: datetime | None) -> datetime | None:
    return value if value is not None and _is_aware(value) else None


def validate_spec(spec: ScheduleSpec, *, now: datetime) -> dict[str, list[str]]:
    """Problems with `spec`, keyed by API field name; an empty dict when it is valid.

    Keys: `kind`, `cron`, `timezone`, `every`, `unit`, `runAt`, `startAt`, `endAt`. Fields that
    do not belong to the spec's kind are ignored. `now` (aware) is only used to refuse a `once`
    schedule whose run time is not in the future.
    """
    return collect_errors(spec, now=now)


def collect_errors(spec: ScheduleSpec, *, now: datetime | None) -> dict[str, list[str]]:
    """`validate_spec`, with the "run time in the past" check skipped when `now` is None."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if spec.kind not in KINDS:
        add("kind", f"Unknown schedule kind '{spec.kind}'; use cron, interval or once.")
    try:
        get_zone(spec.timezone)
    except UnknownZoneError as exc:
        add("timezone", str(exc))
    for field, label, value in (
        ("runAt", "The run time", spec.run_at),
        ("startAt", "The start time", spec.start_at),
        ("endAt", "The end time", spec.end_at),
    ):
        if value is not None and not _is_aware(value):
            add(field, f"{label} must include a time zone offset.")

    if spec.kind == "cron":
        _check_cron(spec.cron, add)
    elif spec.kind == "interval":
        _check_interval(spec.every, spec.unit, add)
    elif spec.kind == "once":
        if spec.run_at is None:
            add("runAt", "A one-off schedule needs a run time.")
        elif _is_aware(spec.run_at) and now is not None and spec.run_at <= now:
            add("runAt", f"The run time {spec.run_at.isoformat()} is in the past.")

    # Naive bounds were reported above; compare only what can be compared.
    start, end, run_at = (_aware_or_none(v) for v in (spec.start_at, spec.end_at, spec.run_at))
    if start is not None and end is not None and end < start:
        add("endAt", "The end time must not be before the start time.")
    if (
        spec.kind == "once"
        and run_at is not None
        and ((start is not None and run_at < start) or (end is not None and run_at > end))
    ):
        add("runAt", "The run time is outside the start and end times, so it would never run.")
    return errors


def _check_cron(text: str | None, add: _Adder) -> None:
    if text is None or not text.strip():
        add("cron", "A cron schedule needs a cron expression.")
        return
    try:
        expression = parse_cron(text)
    except CronError as exc:
        for message in exc.messages:
            add("cron", message)
        return
    if not expression.can_ever_fire():
        add(
            "cron",
            f"The cron expression '{text}' can never fire: "
            "none of its months has any of its days of the month.",
        )


def _check_interval(every: object, unit: object, add: _Adder) -> None:
    every_ok = False
    if every is None:
        add("every", "An interval schedule needs a number for 'every'.")
    elif isinstance(every, bool) or not isinstance(every, int):
        add("every", f"'every' must be a whole number; got {every!r}.")
    elif every <= 0:
        add("every", f"'every' must be 1 or more; got {every}.")
    else:
        every_ok = True
    if unit is None:
        add("unit", "An interval schedule needs a unit: seconds, minutes, hours or days.")
    elif unit not in UNITS:
        add("unit", f"Unknown interval unit '{unit}'; use seconds, minutes, hours or days.")
    elif every_ok:
        assert isinstance(every, int) and isinstance(unit, str)
        if every > MAX_INTERVAL // UNITS[unit]:
            add("every", f"An interval of {every} {unit} is longer than the 10-year maximum.")
