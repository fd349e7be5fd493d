"""Local wall-clock time <-> instants, under the schedules' DST rule.

Schedules are defined in wall-clock terms ("02:30 in Europe/Berlin"), so each matching local
time is mapped to exactly one instant:

- a time that exists once maps to that instant;
- a time inside a spring-forward gap (does not exist) maps to the first valid instant after it,
  i.e. the transition itself (Berlin 2026-03-29 02:30 -> 03:00 CEST = 01:00 UTC);
- a time inside a fall-back overlap (happens twice) maps to its first occurrence (fold=0).

This mapping never goes backwards as the wall time moves forward (all times in a gap collapse
onto the transition), which is what lets callers walk wall times in order and drop duplicates.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownZoneError(ValueError):
    """The name is not an IANA time zone this machine knows."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown time zone '{name}'.")
        self.name = name


def get_zone(name: str) -> ZoneInfo:
    """Return the zone named `name`, or raise `UnknownZoneError` (never a raw OSError/KeyError)."""
    if not isinstance(name, str) or not name:
        raise UnknownZoneError(str(name))
    try:
        return ZoneInfo(name)
    # ZoneInfo reports bad keys in several ways: not found, a directory ("Europe"), a malformed
    # path ("../x"), or a file that is not TZif data.
    except (ZoneInfoNotFoundError, OSError, ValueError) as exc:
        raise UnknownZoneError(name) from exc


def to_wall(instant: datetime, zone: tzinfo | None) -> datetime:
    """The naive local wall-clock reading of aware `instant` in `zone` (fold dropped)."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def resolve_wall(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (aware, UTC) at which naive local `wall` fires in `zone` (see module doc)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if to_wall(first, zone) == wall:
        return first
    return _gap_end(wall, zone, first)


def schedule_instant(value: datetime) -> datetime:
    """The UTC instant of an aware datetime that defines a schedule (run_at, bounds, anchor).

    A zone-aware value whose wall time falls in a spring-forward gap means the transition, as
    for every other local time under the DST rule (PEP 495 alone would read it an hour late).
    """
    instant = value.astimezone(UTC)
    wall = value.replace(tzinfo=None, fold=0)
    if instant.astimezone(value.tzinfo).replace(tzinfo=None) == wall:
        return instant
    other = value.replace(fold=1 - value.fold).astimezone(UTC)
    return _gap_end(wall, value.tzinfo, max(instant, other))


def _gap_end(wall: datetime, zone: tzinfo | None, after_gap: datetime) -> datetime:
    # In a gap, fold=1 reads the wall time with the post-transition offset (an instant before the
    # transition) and fold=0 with the pre-transition one (an instant after it). zoneinfo does not
    # expose transition instants, so bisect between the two; TZif transitions are whole seconds.
    low = math.floor(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = math.ceil(after_gap.timestamp())
    while low < high:
        middle = (low + high) // 2
        if to_wall(datetime.fromtimestamp(middle, UTC), zone) > wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


def overlap_ceiling(instant: datetime, zone: ZoneInfo) -> datetime:
    """The latest wall time whose fire instant can still be <= `instant`.

    Usually the wall reading of `instant`; but during the second pass of a fall-back hour, wall
    times up to one offset-difference later already fired (at their first occurrence).
    """
    local = instant.astimezone(zone)
    first_offset = local.replace(fold=0).utcoffset()
    offset = local.utcoffset()
    assert first_offset is not None and offset is not None
    return local.replace(tzinfo=None, fold=0) + (first_offset - offset)
