"""describe(): schedules in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plans.schedules import ScheduleSpec, describe


@pytest.mark.parametrize(
    ("cron", "zone", "words"),
    [
        ("0 6 * * 1-5", "Europe/Paris", "At 06:00, Monday through Friday (Europe/Paris)"),
        ("*/15 * * * *", "UTC", "Every 15 minutes (UTC)"),
        ("30 2 * * *", "Europe/Berlin", "At 02:30, every day (Europe/Berlin)"),
        ("* * * * *", "UTC", "Every minute (UTC)"),
        ("0 * * * *", "UTC", "Every hour on the hour (UTC)"),
        ("45 * * * *", "UTC", "Every hour at 45 minutes past (UTC)"),
        ("0 */2 * * *", "UTC", "Every 2 hours on the hour (UTC)"),
        ("0 9,17 * * MON,WED,FRI", "UTC",
         "At 09:00 and 17:00, on Monday, Wednesday and Friday (UTC)"),
        ("15 10 * * SAT,SUN", "UTC", "At 10:15, on Saturday and Sunday (UTC)"),
        ("0 8 1 * *", "UTC", "At 08:00, on day 1 of the month (UTC)"),
        ("0 0 1 jan,jul *", "UTC", "At 00:00, on day 1 of the month in January and July (UTC)"),
        ("0 12 * 12 *", "UTC", "At 12:00, every day in December (UTC)"),
        ("0 0 13 * 5", "UTC", "At 00:00, on day 13 of the month or on Friday (UTC)"),
        # Generic fallbacks.
        ("5,10 1-3 1 * *", "UTC", "At minute 5,10 past hour 1-3, on day 1 of the month (UTC)"),
        ("*/7 * * * *", "UTC", "At minute */7 (UTC)"),
        ("* 3 * * *", "UTC", "Every minute of hour 3 (UTC)"),
        ("0 0 */2 * *", "UTC", "At 00:00, on day-of-month */2 (UTC)"),
    ],
)  # fmt: skip
def test_it_describes_cron_shapes(cron: str, zone: str, words: str) -> None:
    assert describe(ScheduleSpec(kind="cron", timezone=zone, cron=cron)) == words


def test_it_describes_an_interval_from_its_anchor_in_the_trigger_zone() -> None:
    anchor = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
    spec = ScheduleSpec(kind="interval", every=2, unit="seconds", anchor=anchor)
    assert describe(spec) == "Every 2 seconds, from 2026-11-26 04:30 (UTC)"
    paris = ScheduleSpec(
        kind="interval", timezone="Europe/Paris", every=1, unit="days", anchor=anchor
    )
    assert describe(paris) == "Every day, from 2026-11-26 05:30 (Europe/Paris)"


def test_it_describes_an_interval_without_an_anchor() -> None:
    assert describe(ScheduleSpec(kind="interval", every=3, unit="hours")) == "Every 3 hours (UTC)"


def test_it_describes_a_one_off_run_in_the_trigger_zone() -> None:
    spec = ScheduleSpec(
        kind="once", timezone="Europe/Paris", run_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    )
    assert describe(spec) == "Once, at 2026-12-01 09:00 (Europe/Paris)"


def test_it_mentions_start_and_end_bounds() -> None:
    spec = ScheduleSpec(
        kind="cron",
        cron="30 2 * * *",
        start_at=datetime(2026, 1, 1, tzinfo=UTC),
        end_at=datetime(2026, 3, 1, 0, 0, 15, tzinfo=UTC),
    )
    assert describe(spec) == (
        "At 02:30, every day, from 2026-01-01 00:00, until 2026-03-01 00:00:15 (UTC)"
    )


def test_it_describes_an_invalid_spec_instead_of_raising() -> None:
    spec = ScheduleSpec(kind="cron", cron="61 * * * *")
    assert describe(spec) == "Invalid schedule: Minute value 61 is out of range 0-59."
