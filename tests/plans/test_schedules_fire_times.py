"""Fire times for intervals, one-off runs, bounds, misfire windows and the cron grammar.

Results are compared in UTC (see the PEP 495 caveat in plans.schedules.fire_times).
"""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plans.schedules import (
    ScheduleError,
    ScheduleSpec,
    fire_times_between,
    latest_fire_time,
    next_fire_times,
)

TICK = timedelta(microseconds=1)


def z(text: str) -> datetime:
    """An instant written as 'YYYY-MM-DD HH:MM[:SS]' in UTC."""
    layout = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, layout).replace(tzinfo=UTC)


def in_utc(values: list[datetime]) -> list[datetime]:
    return [v.astimezone(UTC) for v in values]


def after_utc(spec: ScheduleSpec, after: str, count: int = 3) -> list[datetime]:
    return in_utc(next_fire_times(spec, after=z(after), count=count))


def latest_utc(spec: ScheduleSpec, at: str) -> datetime | None:
    latest = latest_fire_time(spec, at=z(at))
    return latest.astimezone(UTC) if latest is not None else None


def test_it_counts_a_seconds_interval_arithmetically_from_a_year_old_anchor() -> None:
    spec = ScheduleSpec(kind="interval", every=2, unit="seconds", anchor=z("2025-11-26 04:30"))
    # 2025-11-26 -> 2026-11-26 is 365 days: 31,536,000 s, an even number of 2 s periods.
    assert after_utc(spec, "2026-11-26 04:30:01") == [
        z("2026-11-26 04:30:02"),
        z("2026-11-26 04:30:04"),
        z("2026-11-26 04:30:06"),
    ]
    assert latest_utc(spec, "2026-11-26 04:30:01") == z("2026-11-26 04:30:00")
    assert latest_utc(spec, "2026-11-26 04:30:02") == z("2026-11-26 04:30:02")


def test_it_answers_a_year_old_every_second_interval_without_iterating() -> None:
    spec = ScheduleSpec(kind="interval", every=1, unit="seconds", anchor=z("2025-01-01 00:00"))
    started = clock.perf_counter()
    for day in range(200):
        at = z("2026-01-01 00:00") + timedelta(days=day, microseconds=500)
        latest = latest_fire_time(spec, at=at)
        assert latest is not None and latest.astimezone(UTC) == at - timedelta(microseconds=500)
        assert next_fire_times(spec, after=at, count=1)[0] > at
    assert clock.perf_counter() - started < 1.0


def test_it_keeps_hour_intervals_in_elapsed_time_across_spring_forward() -> None:
    spec = ScheduleSpec(
        kind="interval",
        timezone="Europe/Berlin",
        every=90,
        unit="minutes",
        anchor=z("2026-03-28 23:00"),
    )
    fires = next_fire_times(spec, after=z("2026-03-28 23:00") - TICK, count=4)
    assert in_utc(fires) == [
        z("2026-03-28 23:00"),
        z("2026-03-29 00:30"),
        z("2026-03-29 02:00"),
        z("2026-03-29 03:30"),
    ]
    assert [f.strftime("%H:%M %Z") for f in fires] == [
        "00:00 CET",
        "01:30 CET",
        "04:00 CEST",
        "05:30 CEST",
    ]


def test_it_keeps_day_intervals_on_the_anchor_wall_clock_time_across_spring_forward() -> None:
    # Anchored at 02:30 CET; 2026-03-29 02:30 does not exist and fires at 03:00 CEST.
    spec = ScheduleSpec(
        kind="interval",
        timezone="Europe/Berlin",
        every=1,
        unit="days",
        anchor=z("2026-03-27 01:30"),
    )
    assert after_utc(spec, "2026-03-27 12:00") == [
        z("2026-03-28 01:30"),
        z("2026-03-29 01:00"),
        z("2026-03-30 00:30"),
    ]
    assert latest_utc(spec, "2026-03-29 00:59") == z("2026-03-28 01:30")
    assert latest_utc(spec, "2026-03-29 01:00") == z("2026-03-29 01:00")


def test_it_fires_day_intervals_once_at_the_first_occurrence_on_fall_back() -> None:
    spec = ScheduleSpec(
        kind="interval",
        timezone="Europe/Berlin",
        every=1,
        unit="days",
        anchor=z("2026-10-23 00:30"),
    )
    assert after_utc(spec, "2026-10-23 12:00") == [
        z("2026-10-24 00:30"),
        z("2026-10-25 00:30"),
        z("2026-10-26 01:30"),
    ]
    # 01:45Z is 02:45 CET, the second pass: today's 02:30 already fired at 00:30Z.
    assert latest_utc(spec, "2026-10-25 01:45") == z("2026-10-25 00:30")
    assert after_utc(spec, "2026-10-25 01:45", count=1) == [z("2026-10-26 01:30")]


def test_it_agrees_between_latest_and_next_for_day_intervals_over_transition_nights() -> None:
    spec = ScheduleSpec(
        kind="interval",
        timezone="Europe/Berlin",
        every=1,
        unit="days",
        anchor=z("2026-01-01 01:30"),
    )
    for night in ("2026-03-28 12:00", "2026-10-24 12:00"):
        for step in range(6 * 48):
            t = z(night) + timedelta(minutes=10 * step)
            latest = latest_fire_time(spec, at=t)
            assert latest is not None and latest <= t
            assert in_utc(next_fire_times(spec, after=latest - TICK, count=1)) == in_utc([latest])
            assert fire_times_between(spec, start=latest, end=t, limit=3) == []


def test_it_finds_every_third_day_from_an_anchor_six_years_back() -> None:
    # 2020-01-01 -> 2026-06-01 is 2343 days = 781 * 3, so 2026-06-01 09:00 Paris (07:00Z) fires.
    anchor = datetime(2020, 1, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    spec = ScheduleSpec(
        kind="interval", timezone="Europe/Paris", every=3, unit="days", anchor=anchor
    )
    assert after_utc(spec, "2026-06-01 00:00", count=2) == [
        z("2026-06-01 07:00"),
        z("2026-06-04 07:00"),
    ]
    assert latest_utc(spec, "2026-06-01 06:59") == z("2026-05-29 07:00")


def test_it_counts_an_interval_from_start_at_rather_than_the_creation_anchor() -> None:
    spec = ScheduleSpec(
        kind="interval",
        every=1,
        unit="hours",
        start_at=z("2026-01-01 00:15"),
        anchor=z("2025-06-01 00:00"),
    )
    assert after_utc(spec, "2025-12-01 00:00", count=2) == [
        z("2026-01-01 00:15"),
        z("2026-01-01 01:15"),
    ]
    assert latest_utc(spec, "2026-01-01 00:14") is None


def test_it_never_fires_an_interval_before_its_anchor() -> None:
    spec = ScheduleSpec(kind="interval", every=1, unit="hours", anchor=z("2026-01-01 00:15"))
    assert latest_utc(spec, "2026-01-01 00:14") is None
    assert after_utc(spec, "2025-01-01 00:00", count=1) == [z("2026-01-01 00:15")]


def test_it_refuses_an_interval_without_start_or_anchor() -> None:
    spec = ScheduleSpec(kind="interval", every=1, unit="hours")
    with pytest.raises(ScheduleError, match="needs a start time or an anchor"):
        next_fire_times(spec, after=z("2026-01-01 00:00"))


def test_it_fires_once_exactly_at_run_at_in_the_trigger_zone() -> None:
    spec = ScheduleSpec(kind="once", timezone="Europe/Paris", run_at=z("2026-12-01 08:00"))
    fires = next_fire_times(spec, after=z("2026-11-30 00:00"), count=5)
    assert in_utc(fires) == [z("2026-12-01 08:00")]
    assert (fires[0].hour, fires[0].tzinfo) == (9, ZoneInfo("Europe/Paris"))
    assert next_fire_times(spec, after=z("2026-12-01 08:00"), count=5) == []
    assert latest_utc(spec, "2026-12-01 07:59") is None
    assert latest_utc(spec, "2026-12-01 08:00") == z("2026-12-01 08:00")
    assert latest_utc(spec, "2027-06-01 00:00") == z("2026-12-01 08:00")


def test_it_keeps_cron_fire_times_within_start_and_end() -> None:
    spec = ScheduleSpec(
        kind="cron", cron="0 * * * *", start_at=z("2026-01-01 10:30"), end_at=z("2026-01-01 13:00")
    )
    assert after_utc(spec, "2026-01-01 00:00", count=10) == [
        z("2026-01-01 11:00"),
        z("2026-01-01 12:00"),
        z("2026-01-01 13:00"),
    ]
    assert latest_utc(spec, "2026-01-01 10:45") is None
    assert latest_utc(spec, "2026-01-01 12:30") == z("2026-01-01 12:00")
    assert latest_utc(spec, "2026-01-02 00:00") == z("2026-01-01 13:00")


def test_it_includes_a_fire_exactly_at_start_at() -> None:
    spec = ScheduleSpec(kind="cron", cron="0 * * * *", start_at=z("2026-01-01 10:00"))
    assert after_utc(spec, "2026-01-01 00:00", count=1) == [z("2026-01-01 10:00")]
    assert latest_utc(spec, "2026-01-01 10:00") == z("2026-01-01 10:00")


def test_it_stops_an_interval_at_end_at() -> None:
    spec = ScheduleSpec(
        kind="interval",
        every=1,
        unit="hours",
        anchor=z("2026-01-01 00:00"),
        end_at=z("2026-01-01 02:30"),
    )
    assert after_utc(spec, "2025-12-31 23:00", count=10) == [
        z("2026-01-01 00:00"),
        z("2026-01-01 01:00"),
        z("2026-01-01 02:00"),
    ]
    assert latest_utc(spec, "2026-01-05 00:00") == z("2026-01-01 02:00")


def test_it_lists_missed_fires_between_start_exclusive_and_end_inclusive() -> None:
    spec = ScheduleSpec(kind="cron", cron="*/15 * * * *")
    window = {"start": z("2026-01-01 10:00"), "end": z("2026-01-01 11:00")}
    assert in_utc(fire_times_between(spec, **window, limit=10)) == [
        z("2026-01-01 10:15"),
        z("2026-01-01 10:30"),
        z("2026-01-01 10:45"),
        z("2026-01-01 11:00"),
    ]
    assert in_utc(fire_times_between(spec, **window, limit=2)) == [
        z("2026-01-01 10:15"),
        z("2026-01-01 10:30"),
    ]
    assert fire_times_between(spec, **window, limit=0) == []


def test_it_finds_leap_days_years_apart() -> None:
    spec = ScheduleSpec(kind="cron", cron="0 0 29 2 *")
    assert after_utc(spec, "2026-03-01 00:00", count=3) == [
        z("2028-02-29 00:00"),
        z("2032-02-29 00:00"),
        z("2036-02-29 00:00"),
    ]
    assert latest_utc(spec, "2026-03-01 00:00") == z("2024-02-29 00:00")


def test_it_rejects_naive_times_and_invalid_specs() -> None:
    spec = ScheduleSpec(kind="cron", cron="0 * * * *")
    with pytest.raises(ValueError, match="'after' must be an aware datetime"):
        next_fire_times(spec, after=datetime(2026, 1, 1))
    with pytest.raises(ScheduleError, match=r"Minute value 61 is out of range 0-59\."):
        latest_fire_time(ScheduleSpec(kind="cron", cron="61 * * * *"), at=z("2026-01-01 00:00"))


# July 2026: Wednesday the 1st; Sundays 5, 12; Mondays 6, 13.
CRON_CASES = [
    ("1-30/5 9 1 7 *", ["07-01 09:01", "07-01 09:06", "07-01 09:11", "07-01 09:16"]),
    ("*/20 9 1-2 jul *", ["07-01 09:00", "07-01 09:20", "07-01 09:40", "07-02 09:00"]),
    ("0 9,17 1-2 JAN,Jul *", ["07-01 09:00", "07-01 17:00", "07-02 09:00", "07-02 17:00"]),
    # Both day fields restricted: the 1st OR any Monday.
    ("0 0 1 * MON", ["07-01 00:00", "07-06 00:00", "07-13 00:00", "07-20 00:00"]),
    # Only day-of-month restricted: the 1st of each month.
    ("0 0 1 * *", ["07-01 00:00", "08-01 00:00", "09-01 00:00", "10-01 00:00"]),
    ("0 0 * * 1", ["07-06 00:00", "07-13 00:00", "07-20 00:00", "07-27 00:00"]),
    ("0 0 * * 7", ["07-05 00:00", "07-12 00:00", "07-19 00:00", "07-26 00:00"]),
    ("0 0 * * sun", ["07-05 00:00", "07-12 00:00", "07-19 00:00", "07-26 00:00"]),
    ("0 0 * * Sat-sun", ["07-04 00:00", "07-05 00:00", "07-11 00:00", "07-12 00:00"]),
    ("0 0 * * 6-7", ["07-04 00:00", "07-05 00:00", "07-11 00:00", "07-12 00:00"]),
    ("30 12 * * 5/1", ["07-03 12:30", "07-04 12:30", "07-05 12:30", "07-10 12:30"]),
]


@pytest.mark.parametrize(("cron", "expected"), CRON_CASES)
def test_it_reads_cron_lists_ranges_steps_and_names(cron: str, expected: list[str]) -> None:
    spec = ScheduleSpec(kind="cron", cron=cron)
    fires = after_utc(spec, "2026-06-30 12:00", count=4)
    assert fires == [z(f"2026-{e}") for e in expected]


def test_it_reads_a_run_at_inside_the_spring_forward_gap_as_the_transition() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spec = ScheduleSpec(
        kind="once", timezone="Europe/Berlin", run_at=datetime(2026, 3, 29, 2, 30, tzinfo=berlin)
    )
    assert after_utc(spec, "2026-03-28 00:00") == [z("2026-03-29 01:00")]
    assert latest_utc(spec, "2026-03-29 01:00") == z("2026-03-29 01:00")


def test_it_reads_after_inside_the_gap_as_counting_back_from_the_transition() -> None:
    # What `fire - 1us` produces for a zone-aware fire at 03:00 CEST on spring-forward night.
    spec = ScheduleSpec(kind="cron", timezone="Europe/Berlin", cron="0 3 * * *")
    just_before = datetime(2026, 3, 29, 2, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Berlin"))
    assert in_utc(next_fire_times(spec, after=just_before, count=1)) == [z("2026-03-29 01:00")]
    assert latest_utc(spec, "2026-03-29 00:59") == z("2026-03-28 02:00")


def test_it_fires_elapsed_intervals_in_both_passes_of_a_repeated_hour() -> None:
    spec = ScheduleSpec(
        kind="interval",
        timezone="Europe/Berlin",
        every=30,
        unit="minutes",
        anchor=z("2026-10-24 00:00"),
    )
    fires = next_fire_times(spec, after=z("2026-10-24 23:59"), count=4)
    assert in_utc(fires) == [
        z("2026-10-25 00:00"),
        z("2026-10-25 00:30"),
        z("2026-10-25 01:00"),
        z("2026-10-25 01:30"),
    ]
    assert [f.strftime("%H:%M %Z") for f in fires] == [
        "02:00 CEST",
        "02:30 CEST",
        "02:00 CET",
        "02:30 CET",
    ]
    for fire in in_utc(fires):
        # In UTC: zone-aware `fire - 1us` would drop fold and land in the first pass.
        assert in_utc(next_fire_times(spec, after=fire - TICK, count=1)) == [fire]
        assert latest_utc(spec, (fire + TICK).strftime("%Y-%m-%d %H:%M:%S")) == fire
