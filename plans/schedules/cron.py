"""Five-field cron expressions: parsing with human-readable errors, and day/time matching.

Fields, in order: minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or JAN-DEC),
day-of-week (0-7 or SUN-SAT, where 0 and 7 both mean Sunday). Names are case-insensitive.

Each field is a comma-separated list of parts; a part is `*`, `N`, `A-B`, `*/S`, `A-B/S`,
or `A/S` (from A to the field's maximum, every S). Ranges do not wrap around (`FRI-MON` is an
error, write `FRI-SUN,MON`), except that a day-of-week range may end on Sunday (`FRI-SUN`,
`5-0`), read as 7.

Day rule (the classic cron one): when both day-of-month and day-of-week are restricted, a day
matches when EITHER matches; otherwise both must match. A field counts as restricted when its
text is anything but exactly `*` (so, unlike Vixie cron, `*/2` is restricted).

This module knows nothing about time zones: it answers "does this calendar day match" and
"which local times of day match"; `fire_times` turns those into instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

FIELD_COUNT_MESSAGE = (
    "A cron expression has 5 fields (minute hour day-of-month month day-of-week); got {count}."
)

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# February counts 29 days: a `29 2` schedule is rare, not impossible.
_MAX_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """An invalid cron expression; `messages` holds one sentence per problem found."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class _Field:
    label: str
    low: int
    high: int
    names: dict[str, int]
    name_hint: str = ""


_FIELDS = (
    _Field("Minute", 0, 59, {}),
    _Field("Hour", 0, 23, {}),
    _Field("Day-of-month", 1, 31, {}),
    _Field(
        "Month", 1, 12, {n: i + 1 for i, n in enumerate(_MONTH_NAMES)}, " or a month name (JAN-DEC)"
    ),
    _Field(
        "Day-of-week", 0, 7, {n: i for i, n in enumerate(_DAY_NAMES)}, " or a day name (SUN-SAT)"
    ),
)
_DAY_OF_WEEK = _FIELDS[4]


@dataclass(frozen=True)
class CronExpression:
    """A parsed cron expression. Days of week use 0 = Sunday ... 6 = Saturday (7 folded to 0)."""

    text: str
    fields: tuple[str, str, str, str, str]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    # Every matching (hour, minute) of a matching day, ascending: what the day loops walk.
    times_of_day: tuple[tuple[int, int], ...]

    @property
    def dom_restricted(self) -> bool:
        return self.fields[2] != "*"

    @property
    def dow_restricted(self) -> bool:
        return self.fields[4] != "*"

    def matches_day(self, day: date) -> bool:
        """Whether any time on calendar `day` can match (month, day-of-month, day-of-week)."""
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.days_of_month
        dow_ok = day.isoweekday() % 7 in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    def can_ever_fire(self) -> bool:
        """False when no calendar day can ever match (e.g. `0 0 31 2 *` or `0 0 30 FEB *`)."""
        if self.dow_restricted:
            # Every month holds every weekday, and with both fields restricted either one suffices.
            return True
        return any(d <= _MAX_DAYS_IN_MONTH[m - 1] for m in self.months for d in self.days_of_month)


def _value(text: str, field: _Field) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if not text.isdigit():
        raise CronError([f"{field.label} value '{text}' is not a number{field.name_hint}."])
    number = int(text)
    if not field.low <= number <= field.high:
        raise CronError([f"{field.label} value {number} is out of range {field.low}-{field.high}."])
    return number


def _parse_field(text: str, field: _Field) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError([f"{field.label} field '{text}' has an empty list item."])
        body, has_step, step_text = part.partition("/")
        step = 1
        if has_step:
            if not step_text.isdigit() or int(step_text) < 1:
                message = f"{field.label} step '{step_text}' in '{part}' must be a whole number"
                raise CronError([f"{message} of 1 or more."])
            step = int(step_text)
        if body == "*":
            low, high = field.low, field.high
        elif "-" in body:
            start_text, _, end_text = body.partition("-")
            if not start_text or not end_text:
                raise CronError([f"{field.label} range '{body}' is incomplete."])
            low, high = _value(start_text, field), _value(end_text, field)
            if field is _DAY_OF_WEEK and high == 0 < low:
                high = 7  # `FRI-SUN` means Friday to Sunday, not a backwards range.
            if low > high:
                raise CronError(
                    [f"{field.label} range '{body}' goes backwards; ranges do not wrap around."]
                )
        else:
            low = _value(body, field)
            high = field.high if has_step else low
        values.update(range(low, high + 1, step))
    return values


@lru_cache(maxsize=512)
def parse_cron(text: str) -> CronExpression:
    """Parse a 5-field cron expression; raise `CronError` listing every problem found.

    The result is cached: triggers are evaluated over and over with the same expression.
    """
    raw = text.split()
    if len(raw) != 5:
        raise CronError([FIELD_COUNT_MESSAGE.format(count=len(raw))])
    messages: list[str] = []
    parsed: list[set[int]] = []
    for raw_field, field in zip(raw, _FIELDS, strict=True):
        try:
            parsed.append(_parse_field(raw_field, field))
        except CronError as exc:
            messages.extend(exc.messages)
    if messages:
        raise CronError(messages)
    minutes, hours, doms, months, dows = parsed
    minutes_sorted = tuple(sorted(minutes))
    hours_sorted = tuple(sorted(hours))
    return CronExpression(
        text=text,
        fields=(raw[0], raw[1], raw[2], raw[3], raw[4]),
        minutes=minutes_sorted,
        hours=hours_sorted,
        days_of_month=frozenset(doms),
        months=frozenset(months),
        days_of_week=frozenset(d % 7 for d in dows),
        times_of_day=tuple((h, m) for h in hours_sorted for m in minutes_sorted),
    )
