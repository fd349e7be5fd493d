"""Schedules in words, for pages and the admin: `describe(spec)`.

Common cron shapes get natural phrases ("At 06:00, Monday through Friday", "Every 15 minutes");
anything else falls back to a field-by-field reading ("At minute 5,10 past hour 1-3, on
day-of-month 1"). The zone always closes the sentence in parentheses.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from plans.schedules.cron import CronExpression, parse_cron
from plans.schedules.spec import ScheduleSpec, collect_errors
from plans.schedules.wallclock import get_zone

_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_SINGULAR = {"seconds": "second", "minutes": "minute", "hours": "hour", "days": "day"}


def describe(spec: ScheduleSpec) -> str:
    """A one-line description of `spec`.

    Never raises: an invalid spec reads "Invalid schedule: <first problem>" so that a page
    listing triggers still renders.
    """
    errors = collect_errors(spec, now=None)
    if errors:
        return f"Invalid schedule: {next(iter(errors.values()))[0]}"
    zone = get_zone(spec.timezone)
    parts: list[str] = []
    if spec.kind == "once":
        assert spec.run_at is not None
        parts.append(f"Once, at {_when(spec.run_at, zone)}")
    elif spec.kind == "interval":
        assert spec.every is not None and spec.unit is not None
        unit = _SINGULAR[spec.unit]
        parts.append(f"Every {unit}" if spec.every == 1 else f"Every {spec.every} {spec.unit}")
        if spec.interval_anchor is not None:
            parts.append(f"from {_when(spec.interval_anchor, zone)}")
    else:
        assert spec.cron is not None
        parts.extend(_cron_phrases(parse_cron(spec.cron)))
        if spec.start_at is not None:
            parts.append(f"from {_when(spec.start_at, zone)}")
    if spec.end_at is not None:
        parts.append(f"until {_when(spec.end_at, zone)}")
    return f"{', '.join(parts)} ({spec.timezone})"


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def _cron_phrases(expr: CronExpression) -> list[str]:
    when, at_clock_times = _time_phrase(expr)
    days = _day_phrase(expr)
    if days is None:
        # "At 02:30" alone reads as a one-off; sub-daily phrases ("Every 15 minutes") do not.
        return [when, "every day"] if at_clock_times else [when]
    return [when, days]


def _step(values: tuple[int, ...], size: int) -> int | None:
    """N when `values` is exactly 0, N, 2N, ... below `size` with N > 1."""
    if len(values) < 2 or values[0] != 0:
        return None
    step = values[1]
    # "Every 7 minutes" would lie at the top of the hour (56 -> 00), so only even divisors.
    if size % step or values != tuple(range(0, size, step)):
        return None
    return step


def _time_phrase(expr: CronExpression) -> tuple[str, bool]:
    minutes, hours = expr.minutes, expr.hours
    every_hour = len(hours) == 24
    if len(minutes) == 60 and every_hour:
        return "Every minute", False
    minute_step = _step(minutes, 60)
    if minute_step and every_hour:
        return f"Every {minute_step} minutes", False
    if len(minutes) == 1:
        past = "on the hour" if minutes[0] == 0 else f"at {minutes[0]} minutes past"
        if every_hour:
            return f"Every hour {past}", False
        hour_step = _step(hours, 24)
        if hour_step:
            return f"Every {hour_step} hours {past}", False
    if len(expr.times_of_day) <= 4:
        clock = [f"{h:02d}:{m:02d}" for h, m in expr.times_of_day]
        return f"At {_join(clock)}", True
    if len(minutes) == 60:
        return f"Every minute of hour {expr.fields[1]}", False
    minute_text = f"At minute {expr.fields[0]}"
    return (minute_text if every_hour else f"{minute_text} past hour {expr.fields[1]}"), False


def _day_phrase(expr: CronExpression) -> str | None:
    """Which days, or None for every day of every month."""
    weekdays = _weekday_phrase(expr.days_of_week) if expr.dow_restricted else None
    month_days = _month_day_phrase(expr) if expr.dom_restricted else None
    # Both restricted means either matches (the cron day rule), so say "or".
    days = f"{month_days} or {weekdays}" if weekdays and month_days else weekdays or month_days
    if len(expr.months) == 12:
        return days
    ordered = sorted(expr.months)
    months = _join([_MONTHS[m - 1] for m in ordered]) if len(ordered) <= 4 else None
    in_months = f"in {months}" if months else f"in month {expr.fields[3]}"
    return f"{days} {in_months}" if days else f"every day {in_months}"


def _weekday_phrase(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "every day of the week"
    # Monday-first order, so FRI-SUN-style weekends read naturally.
    ordered = sorted(days, key=lambda d: (d - 1) % 7)
    positions = [(d - 1) % 7 for d in ordered]
    names = [_WEEKDAYS[d] for d in ordered]
    if len(ordered) >= 3 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{names[0]} through {names[-1]}"
    return f"on {_join(names)}"


def _month_day_phrase(expr: CronExpression) -> str:
    days = sorted(expr.days_of_month)
    if len(days) <= 4:
        label = "day" if len(days) == 1 else "days"
        return f"on {label} {_join([str(d) for d in days])} of the month"
    return f"on day-of-month {expr.fields[2]}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
