"""What the Plan Runs and Job History filters share: a date range read in the site's time zone,
ids from the query string, and bounded name lists for the searchable plan and flow fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.utils import timezone

from plans.access import plans_visible_to

# The plan and flow fields offer at most this many names; any other name can still be typed.
NAME_CHOICES = 200


def parse_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def parse_date(value: str | None) -> date | None:
    """A `YYYY-MM-DD` date (what `<input type="date">` sends); None when missing or malformed."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class DateRange:
    """Whole days, both ends included, in the site's time zone (`settings.TIME_ZONE`)."""

    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> DateRange:
        return cls(since=parse_date(params.get("since")), until=parse_date(params.get("until")))

    def q(self, field: str = "created_at") -> Q:
        zone = timezone.get_current_timezone()
        q = Q()
        if self.since is not None:
            q &= Q(**{f"{field}__gte": datetime.combine(self.since, time.min, tzinfo=zone)})
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=zone)
            q &= Q(**{f"{field}__lt": end})
        return q

    @property
    def zone_name(self) -> str:
        return timezone.get_current_timezone_name()

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None


def plan_names(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The first NAME_CHOICES names of the plans `user` may see, A to Z (one query)."""
    names = plans_visible_to(user).order_by("name").values_list("name", flat=True).distinct()
    return list(names[:NAME_CHOICES])
