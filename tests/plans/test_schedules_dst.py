"""Cron fire times across DST transitions, checked against instants worked out by hand.

2026 transitions used below (all Sundays):
- Europe/Berlin: 03-29 02:00 CET -> 03:00 CEST (01:00Z); 10-25 03:00 CEST -> 02:00 CET (01:00Z).
- America/New_York: 03-08 02:00 EST -> 03:00 EDT (07:00Z); 11-01 02:00 EDT -> 01:00 EST (06:00Z).
- Australia/Sydney: 04-05 03:00 AEDT -> 02:00 AEST (04-04 16:00Z);
  10-04 02:00 AEST -> 03:00 AEDT (10-03 16:00Z).
- Asia/Kolkata: always +05:30. UTC: no transitions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plans.schedules import (
    ScheduleSpec,
    fire_times_between,
    latest_fire_time,
    next_fire_times,
)

TICK = timedelta(microseconds=1)


def z(text: str) -> datetime:
    """An instant in 2026 written as 'MM-DD HH:MM' in UTC."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def utc(values: list[datetime] | datetime | None) -> list[datetime] | datetime | None:
    """Compare in UTC: PEP 495 makes zone-aware equality ignore fold within one zone and
    report a repeated-hour time unequal to every other zone's."""
    if isinstance(values, list):
        return [v.astimezone(UTC) for v in values]
    return values.astimezone(UTC) if values is not None else None


def assert_schedule(spec: ScheduleSpec, after: str, expected: list[str]) -> None:
    """next_fire_times gives exactly `expected`, and latest_fire_time agrees at every edge."""
    fires = next_fire_times(spec, after=z(after), count=len(expected))
    assert utc(fires) == [z(e) for e in expected]
    assert all(f.tzinfo == ZoneInfo(spec.timezone) for f in fires)
    for index, fire in enumerate(fires):
        assert utc(latest_fire_time(spec, at=fire)) == utc(fire)
        # The contract's property, with wall-clock arithmetic on the zone-aware fire as written.
        assert utc(next_fire_times(spec, after=fire - TICK, count=1)) == [utc(fire)]
        if index:
            previous = fires[index - 1].astimezone(UTC)
            assert utc(latest_fire_time(spec, at=fire - TICK)) == previous
            # Arithmetic on zone-aware datetimes is wall-clock arithmetic; halve in UTC.
            halfway = previous + (fire.astimezone(UTC) - previous) / 2
            assert utc(latest_fire_time(spec, at=halfway)) == previous


DAILY_0230 = [
    ("Europe/Berlin", "03-27 12:00", ["03-28 01:30", "03-29 01:00", "03-30 00:30"]),
    ("Europe/Berlin", "10-23 12:00", ["10-24 00:30", "10-25 00:30", "10-26 01:30"]),
    ("America/New_York", "03-06 12:00", ["03-07 07:30", "03-08 07:00", "03-09 06:30"]),
    # 02:30 is not in New York's repeated hour (01:00-02:00), so fall-back only shifts the offset.
    ("America/New_York", "10-30 12:00", ["10-31 06:30", "11-01 07:30", "11-02 07:30"]),
    ("Australia/Sydney", "04-03 00:00", ["04-03 15:30", "04-04 15:30", "04-05 16:30"]),
    ("Australia/Sydney", "10-02 00:00", ["10-02 16:30", "10-03 16:00", "10-04 15:30"]),
    ("Asia/Kolkata", "03-28 00:00", ["03-28 21:00", "03-29 21:00", "03-30 21:00"]),
    ("Asia/Kolkata", "10-24 00:00", ["10-24 21:00", "10-25 21:00", "10-26 21:00"]),
    ("UTC", "03-28 00:00", ["03-28 02:30", "03-29 02:30", "03-30 02:30"]),
    ("UTC", "10-24 00:00", ["10-24 02:30", "10-25 02:30", "10-26 02:30"]),
]

HOURLY = [
    # Spring forward: 02:00 does not exist and moves to 03:00, which also matches: one fire.
    ("Europe/Berlin", "03-28 22:30", ["03-28 23:00", "03-29 00:00", "03-29 01:00", "03-29 02:00"]),
    # Fall back: 02:00 fires at its first occurrence only (00:00Z), then 03:00 CET (02:00Z).
    ("Europe/Berlin", "10-24 21:30", ["10-24 22:00", "10-24 23:00", "10-25 00:00", "10-25 02:00"]),
    ("America/New_York", "03-08 05:30", ["03-08 06:00", "03-08 07:00", "03-08 08:00"]),
    (
        "America/New_York",
        "11-01 03:30",
        ["11-01 04:00", "11-01 05:00", "11-01 07:00", "11-01 08:00"],
    ),
    ("Australia/Sydney", "10-03 14:30", ["10-03 15:00", "10-03 16:00", "10-03 17:00"]),
    (
        "Australia/Sydney",
        "04-04 13:30",
        ["04-04 14:00", "04-04 15:00", "04-04 17:00", "04-04 18:00"],
    ),
    ("Asia/Kolkata", "03-28 22:00", ["03-28 22:30", "03-28 23:30", "03-29 00:30"]),
    ("UTC", "10-25 00:30", ["10-25 01:00", "10-25 02:00", "10-25 03:00"]),
]


@pytest.mark.parametrize(("zone", "after", "expected"), DAILY_0230)
def test_it_fires_0230_daily_once_per_night_across_dst(
    zone: str, after: str, expected: list[str]
) -> None:
    assert_schedule(ScheduleSpec(kind="cron", timezone=zone, cron="30 2 * * *"), after, expected)


@pytest.mark.parametrize(("zone", "after", "expected"), HOURLY)
def test_it_fires_hourly_once_per_instant_across_dst(
    zone: str, after: str, expected: list[str]
) -> None:
    assert_schedule(ScheduleSpec(kind="cron", timezone=zone, cron="0 * * * *"), after, expected)


def test_it_fires_a_repeated_new_york_time_at_its_first_occurrence() -> None:
    spec = ScheduleSpec(kind="cron", timezone="America/New_York", cron="30 1 * * *")
    assert_schedule(spec, "10-30 12:00", ["10-31 05:30", "11-01 05:30", "11-02 06:30"])


def test_it_reports_the_missing_0230_as_0300_local_summer_time() -> None:
    spec = ScheduleSpec(kind="cron", timezone="Europe/Berlin", cron="30 2 * * *")
    [fire] = next_fire_times(spec, after=z("03-28 12:00"), count=1)
    assert utc(fire) == z("03-29 01:00")
    assert (fire.hour, fire.minute, fire.utcoffset()) == (3, 0, timedelta(hours=2))


def test_it_reports_the_repeated_0230_in_summer_time() -> None:
    spec = ScheduleSpec(kind="cron", timezone="Europe/Berlin", cron="30 2 * * *")
    [fire] = next_fire_times(spec, after=z("10-24 12:00"), count=1)
    assert utc(fire) == z("10-25 00:30")
    assert (fire.hour, fire.minute, fire.fold, fire.utcoffset()) == (2, 30, 0, timedelta(hours=2))


def test_it_finds_the_first_occurrence_as_latest_during_the_second_pass() -> None:
    spec = ScheduleSpec(kind="cron", timezone="Europe/Berlin", cron="30 2 * * *")
    # 01:45Z is 02:45 CET, the second pass of the repeated hour: 02:30 already fired at 00:30Z.
    assert utc(latest_fire_time(spec, at=z("10-25 01:45"))) == z("10-25 00:30")
    assert utc(latest_fire_time(spec, at=z("10-25 01:15"))) == z("10-25 00:30")
    assert utc(next_fire_times(spec, after=z("10-25 01:15"), count=1)) == [z("10-26 01:30")]


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
NIGHTS = ["03-07 12:00", "03-28 12:00", "04-04 00:00", "10-03 00:00", "10-24 12:00", "10-31 12:00"]


@pytest.mark.parametrize("cron", ["30 2 * * *", "0 * * * *", "*/20 1-3 * * *"])
@pytest.mark.parametrize("zone", ZONES)
def test_it_agrees_between_latest_and_next_every_ten_minutes_over_transition_nights(
    zone: str, cron: str
) -> None:
    spec = ScheduleSpec(kind="cron", timezone=zone, cron=cron)
    for night in NIGHTS:
        for step in range(0, 36 * 6):
            t = z(night) + timedelta(minutes=10 * step)
            latest = latest_fire_time(spec, at=t)
            assert latest is not None and latest <= t
            assert utc(next_fire_times(spec, after=latest - TICK, count=1)) == [utc(latest)]
            assert fire_times_between(spec, start=latest, end=t, limit=5) == []
            [upcoming] = next_fire_times(spec, after=t, count=1)
            assert upcoming > t
            assert utc(latest_fire_time(spec, at=upcoming - TICK)) == utc(latest)
