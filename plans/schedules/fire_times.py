"""When a schedule fires: next, latest, and between, all from explicit times (nothing reads
the clock).

Every function returns aware datetimes in the spec's zone (`tzinfo=ZoneInfo(spec.timezone)`)
and honours `start_at` / `end_at`. They agree exactly: for any aware `t`,
`next_fire_times(spec, after=latest_fire_time(spec, at=t) - 1us, count=1)[0]` is
`latest_fire_time(spec, at=t)`. Do that arithmetic in UTC: Python adds and subtracts on
zone-aware datetimes in wall-clock time and drops `fold`. Subtracting from a zone-aware fire
still works for cron and day intervals (a gap wall time is read as counting back from the
transition, see `_query_instant`; they never fire in the second pass of a repeated hour), but
not for a seconds/minutes/hours interval firing in the second pass of a repeated hour, where
`fire - 1us` lands in the first pass.

Cost: intervals are pure arithmetic (an every-second interval anchored years ago answers in
constant time). Cron walks calendar days and, on matching days only, the matching times of
day. The walk gives up after `HORIZON_DAYS` (about 5 years) without a fire: `next_fire_times`
then returns fewer results and `latest_fire_time` looks back no further than that from `at`.

Equality caveat (PEP 495): compare results in UTC. Two zone-aware datetimes in the same zone
compare by wall time ignoring fold, and a repeated-hour time never equals another zone's.

A spec that `validate_spec` rejects (except for a `once` time in the past) raises
`ScheduleError`; a naive `after` / `at` / `start` / `end` raises ValueError. A schedule-defining
datetime (`run_at`, `start_at`, `end_at`, `anchor`) given as a local time inside a
spring-forward gap follows the DST rule like any other local time: it means the transition.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from plans.schedules.cron import CronExpression, parse_cron
from plans.schedules.spec import UNITS, ScheduleError, ScheduleSpec, collect_errors
from plans.schedules.wallclock import (
    get_zone,
    overlap_ceiling,
    resolve_wall,
    schedule_instant,
    to_wall,
)

HORIZON_DAYS = 5 * 366
_TICK = timedelta(microseconds=1)


def next_fire_times(spec: ScheduleSpec, *, after: datetime, count: int = 5) -> list[datetime]:
    """The first `count` fire instants strictly after `after`, ascending (at most one for once)."""
    return list(islice(_iter_after(spec, after), max(count, 0)))


def fire_times_between(
    spec: ScheduleSpec, *, start: datetime, end: datetime, limit: int
) -> list[datetime]:
    """Fire instants in (start, end], ascending, at most `limit` of them (misfire detection)."""
    end_utc = _query_instant(end, "end")
    within = takewhile(lambda instant: instant <= end_utc, _iter_after(spec, start))
    return list(islice(within, max(limit, 0)))


def latest_fire_time(spec: ScheduleSpec, *, at: datetime) -> datetime | None:
    """The latest fire instant <= `at` within the bounds, or None when there is none.

    None also when the only candidates lie more than `HORIZON_DAYS` before `at` (cron only).
    """
    plan = _Plan.of(spec)
    ceiling = _query_instant(at, "at")
    if plan.end is not None:
        ceiling = min(ceiling, plan.end)
    instant: datetime | None
    if plan.run_at is not None:
        instant = plan.run_at if plan.run_at <= ceiling else None
    elif plan.cron is not None:
        instant = _cron_latest(plan.cron, plan.zone, ceiling)
    else:
        instant = _interval_latest(plan, ceiling)
    if instant is None or (plan.start is not None and instant < plan.start):
        return None
    return instant.astimezone(plan.zone)


def _iter_after(spec: ScheduleSpec, after: datetime) -> Iterator[datetime]:
    plan = _Plan.of(spec)
    floor = _query_instant(after, "after")
    if plan.start is not None:
        floor = max(floor, plan.start - _TICK)
    instants: Iterator[datetime]
    if plan.run_at is not None:
        instants = iter([plan.run_at] if plan.run_at > floor else [])
    elif plan.cron is not None:
        instants = _cron_after(plan.cron, plan.zone, floor)
    else:
        instants = _interval_after(plan, floor)
    for instant in instants:
        if plan.end is not None and instant > plan.end:
            return
        yield instant.astimezone(plan.zone)


@dataclass(frozen=True)
class _Plan:
    """A validated spec with every instant in UTC, so that arithmetic is elapsed time."""

    zone: ZoneInfo
    start: datetime | None
    end: datetime | None
    cron: CronExpression | None = None
    run_at: datetime | None = None
    anchor: datetime | None = None
    period: timedelta | None = None
    by_wall_clock: bool = False

    @classmethod
    def of(cls, spec: ScheduleSpec) -> _Plan:
        errors = collect_errors(spec, now=None)
        if errors:
            raise ScheduleError(errors)
        zone = get_zone(spec.timezone)
        start, end = (schedule_instant(v) if v else None for v in (spec.start_at, spec.end_at))
        if spec.kind == "cron":
            assert spec.cron is not None
            return cls(zone, start, end, cron=parse_cron(spec.cron))
        if spec.kind == "once":
            assert spec.run_at is not None
            return cls(zone, start, end, run_at=schedule_instant(spec.run_at))
        anchor = spec.interval_anchor
        if anchor is None:
            message = "An interval schedule needs a start time or an anchor."
            raise ScheduleError({"startAt": [message]})
        assert spec.every is not None and spec.unit is not None
        period = spec.every * UNITS[spec.unit]
        anchor_utc = schedule_instant(anchor)
        return cls(
            zone, start, end, anchor=anchor_utc, period=period, by_wall_clock=spec.unit == "days"
        )


def _query_instant(value: datetime, name: str) -> datetime:
    """`after` / `at` / `start` / `end` as a UTC instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"'{name}' must be an aware datetime; got {value.isoformat()}.")
    instant = value.astimezone(UTC)
    if instant.astimezone(value.tzinfo).replace(tzinfo=None) != value.replace(tzinfo=None):
        # A wall time in a spring-forward gap, typically `fire - 1us` computed with wall-clock
        # arithmetic on a zone-aware fire at the transition. PEP 495 would read it with the old
        # offset, i.e. after the transition; read it with the new one, counting back from the
        # transition, so that `fire - 1us` stays before `fire`.
        instant = min(instant, value.replace(fold=1 - value.fold).astimezone(UTC))
    return instant


def _day_walk(first: date, step: int) -> Iterator[date]:
    """Calendar days from `first` (inclusive) onwards (step 1) or backwards (step -1)."""
    day = first
    try:
        while True:
            yield day
            day += timedelta(days=step)
    except OverflowError:  # past year 1 or 9999
        return


def _cron_after(expr: CronExpression, zone: ZoneInfo, floor: datetime) -> Iterator[datetime]:
    start = to_wall(floor, zone)
    previous: datetime | None = None
    idle_days = 0
    for day in _day_walk(start.date(), 1):
        # The horizon bounds the gap between fires, so rare schedules (29 Feb) still list several.
        if idle_days > HORIZON_DAYS:
            return
        idle_days += 1
        if not expr.matches_day(day):
            continue
        times = expr.times_of_day
        # Wall times at or before `start` cannot fire after `floor` (the mapping is monotonic).
        first = bisect_right(times, (start.hour, start.minute)) if day == start.date() else 0
        for hour, minute in times[first:]:
            instant = resolve_wall(datetime.combine(day, time(hour, minute)), zone)
            # Skips both the rest of a repeated hour and wall times that collapse onto one instant.
            if instant <= floor or (previous is not None and instant <= previous):
                continue
            previous = instant
            idle_days = 0
            yield instant


def _cron_latest(expr: CronExpression, zone: ZoneInfo, ceiling: datetime) -> datetime | None:
    top = overlap_ceiling(ceiling, zone)
    for day in islice(_day_walk(top.date(), -1), HORIZON_DAYS + 1):
        if not expr.matches_day(day):
            continue
        times = expr.times_of_day
        end = bisect_right(times, (top.hour, top.minute)) if day == top.date() else len(times)
        for hour, minute in reversed(times[:end]):
            instant = resolve_wall(datetime.combine(day, time(hour, minute)), zone)
            if instant <= ceiling:
                return instant
    return None


def _interval_after(plan: _Plan, floor: datetime) -> Iterator[datetime]:
    anchor, period, zone = plan.anchor, plan.period, plan.zone
    assert anchor is not None and period is not None
    try:
        if not plan.by_wall_clock:
            k = max(0, (floor - anchor) // period + 1)
            while True:
                yield anchor + k * period
                k += 1
        base = to_wall(anchor, zone)
        # One step early: wall times before floor's own cannot fire after it, so this is safe.
        k = max(0, (to_wall(floor, zone) - base) // period - 1)
        while True:
            instant = resolve_wall(base + k * period, zone)
            if instant > floor:
                yield instant
            k += 1
    except OverflowError:
        return


def _interval_latest(plan: _Plan, ceiling: datetime) -> datetime | None:
    anchor, period, zone = plan.anchor, plan.period, plan.zone
    assert anchor is not None and period is not None
    if not plan.by_wall_clock:
        if ceiling < anchor:
            return None
        return anchor + (ceiling - anchor) // period * period
    base = to_wall(anchor, zone)
    k = (overlap_ceiling(ceiling, zone) - base) // period + 1
    while k >= 0:
        instant = resolve_wall(base + k * period, zone)
        if instant <= ceiling:
            return instant
        k -= 1
    return None
