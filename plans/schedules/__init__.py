"""Pure scheduling math for plan triggers: no models, no clock, only zoneinfo.

`ScheduleSpec` describes a trigger's schedule (cron, interval or once, in an IANA zone, with
optional start/end bounds); `validate_spec` explains what is wrong with one; `next_fire_times`,
`latest_fire_time` and `fire_times_between` compute when it fires; `describe` puts it in words.
The DST rule lives in `wallclock`, the cron grammar in `cron`.
"""

from __future__ import annotations

from plans.schedules.cron import CronError, CronExpression, parse_cron
from plans.schedules.describe import describe
from plans.schedules.fire_times import (
    HORIZON_DAYS,
    fire_times_between,
    latest_fire_time,
    next_fire_times,
)
from plans.schedules.spec import KINDS, UNITS, ScheduleError, ScheduleSpec, validate_spec

__all__ = [
    "HORIZON_DAYS",
    "KINDS",
    "UNITS",
    "CronError",
    "CronExpression",
    "ScheduleError",
    "ScheduleSpec",
    "describe",
    "fire_times_between",
    "latest_fire_time",
    "next_fire_times",
    "parse_cron",
    "validate_spec",
]
