"""validate_spec: every message, keyed by the API field it is about."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plans.schedules import ScheduleSpec, validate_spec

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIELDS = "A cron expression has 5 fields (minute hour day-of-month month day-of-week);"
UNITS = "seconds, minutes, hours or days."


def cron_errors(expression: str) -> list[str]:
    return validate_spec(ScheduleSpec(kind="cron", cron=expression), now=NOW).get("cron", [])


def test_it_accepts_valid_specs_of_every_kind() -> None:
    specs = [
        ScheduleSpec(kind="cron", timezone="Europe/Paris", cron="0 6 * * MON-FRI"),
        ScheduleSpec(kind="interval", every=15, unit="minutes"),
        ScheduleSpec(kind="once", run_at=datetime(2026, 6, 2, tzinfo=UTC)),
        ScheduleSpec(
            kind="cron",
            cron="*/15 * * * *",
            start_at=datetime(2026, 1, 1, tzinfo=UTC),
            end_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    ]
    assert [validate_spec(spec, now=NOW) for spec in specs] == [{}, {}, {}, {}]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "Minute value 61 is out of range 0-59."),
        ("0 24 * * *", "Hour value 24 is out of range 0-23."),
        ("0 0 0 * *", "Day-of-month value 0 is out of range 1-31."),
        ("0 0 * 13 *", "Month value 13 is out of range 1-12."),
        ("0 0 * * 8", "Day-of-week value 8 is out of range 0-7."),
        ("* * *", f"{FIELDS} got 3."),
        ("* * * * * *", f"{FIELDS} got 6."),
        ("x * * * *", "Minute value 'x' is not a number."),
        ("0 0 * FOO *", "Month value 'FOO' is not a number or a month name (JAN-DEC)."),
        ("0 0 * * FUN", "Day-of-week value 'FUN' is not a number or a day name (SUN-SAT)."),
        ("*/0 * * * *", "Minute step '0' in '*/0' must be a whole number of 1 or more."),
        ("30-10 * * * *", "Minute range '30-10' goes backwards; ranges do not wrap around."),
        ("5- * * * *", "Minute range '5-' is incomplete."),
        ("1,,2 * * * *", "Minute field '1,,2' has an empty list item."),
        ("0 0 31 2 *", "The cron expression '0 0 31 2 *' can never fire: "
         "none of its months has any of its days of the month."),
        ("0 0 31 FEB,apr *", "The cron expression '0 0 31 FEB,apr *' can never fire: "
         "none of its months has any of its days of the month."),
    ],
)  # fmt: skip
def test_it_names_the_problem_in_a_cron_expression(expression: str, message: str) -> None:
    assert cron_errors(expression) == [message]


def test_it_reports_every_bad_cron_field_at_once() -> None:
    assert cron_errors("61 25 * * *") == [
        "Minute value 61 is out of range 0-59.",
        "Hour value 25 is out of range 0-23.",
    ]


def test_it_accepts_schedules_that_fire_rarely_or_by_weekday() -> None:
    assert cron_errors("0 0 29 2 *") == []
    # With both day fields restricted, Mondays alone make it fire.
    assert cron_errors("0 0 31 2 MON") == []


def test_it_requires_a_cron_expression_for_a_cron_schedule() -> None:
    errors = validate_spec(ScheduleSpec(kind="cron", cron="  "), now=NOW)
    assert errors == {"cron": ["A cron schedule needs a cron expression."]}


def test_it_names_an_unknown_time_zone() -> None:
    for name in ("Mars/Base", "Europe", "../etc/passwd", ""):
        errors = validate_spec(ScheduleSpec(kind="cron", timezone=name, cron="* * * * *"), now=NOW)
        assert errors == {"timezone": [f"Unknown time zone '{name}'."]}


@pytest.mark.parametrize(
    ("every", "unit", "errors"),
    [
        (0, "minutes", {"every": ["'every' must be 1 or more; got 0."]}),
        (-5, "minutes", {"every": ["'every' must be 1 or more; got -5."]}),
        (None, "minutes", {"every": ["An interval schedule needs a number for 'every'."]}),
        (True, "minutes", {"every": ["'every' must be a whole number; got True."]}),
        (1.5, "minutes", {"every": ["'every' must be a whole number; got 1.5."]}),
        (5, "weeks", {"unit": [f"Unknown interval unit 'weeks'; use {UNITS}"]}),
        (5, None, {"unit": [f"An interval schedule needs a unit: {UNITS}"]}),
        (4000, "days", {"every": ["An interval of 4000 days is longer than the 10-year maximum."]}),
    ],
)  # fmt: skip
def test_it_names_the_problem_in_an_interval(
    every: object, unit: str | None, errors: dict[str, list[str]]
) -> None:
    spec = ScheduleSpec(kind="interval", every=every, unit=unit)  # type: ignore[arg-type]
    assert validate_spec(spec, now=NOW) == errors


def test_it_refuses_a_one_off_run_in_the_past_or_now() -> None:
    past = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert validate_spec(ScheduleSpec(kind="once", run_at=past), now=NOW) == {
        "runAt": ["The run time 2026-05-01T09:00:00+00:00 is in the past."]
    }
    assert "runAt" in validate_spec(ScheduleSpec(kind="once", run_at=NOW), now=NOW)


def test_it_requires_a_run_time_for_a_one_off_run() -> None:
    assert validate_spec(ScheduleSpec(kind="once"), now=NOW) == {
        "runAt": ["A one-off schedule needs a run time."]
    }


def test_it_refuses_a_one_off_run_outside_its_bounds() -> None:
    spec = ScheduleSpec(
        kind="once",
        run_at=datetime(2026, 7, 1, tzinfo=UTC),
        end_at=datetime(2026, 6, 30, tzinfo=UTC),
    )
    assert validate_spec(spec, now=NOW) == {
        "runAt": ["The run time is outside the start and end times, so it would never run."]
    }


def test_it_refuses_an_end_before_the_start() -> None:
    spec = ScheduleSpec(
        kind="cron",
        cron="0 * * * *",
        start_at=datetime(2026, 7, 1, tzinfo=UTC),
        end_at=datetime(2026, 6, 30, tzinfo=UTC),
    )
    assert validate_spec(spec, now=NOW) == {
        "endAt": ["The end time must not be before the start time."]
    }


def test_it_requires_time_zone_offsets_on_datetimes() -> None:
    spec = ScheduleSpec(
        kind="once",
        run_at=datetime(2026, 7, 1),
        start_at=datetime(2026, 6, 1),
        end_at=datetime(2026, 8, 1),
    )
    assert validate_spec(spec, now=NOW) == {
        "runAt": ["The run time must include a time zone offset."],
        "startAt": ["The start time must include a time zone offset."],
        "endAt": ["The end time must include a time zone offset."],
    }


def test_it_names_an_unknown_kind() -> None:
    assert validate_spec(ScheduleSpec(kind="sometimes"), now=NOW) == {
        "kind": ["Unknown schedule kind 'sometimes'; use cron, interval or once."]
    }
