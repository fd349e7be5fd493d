"""The plans list says how long ago each plan last ran."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from plans.templatetags.time_tags import ago


def test_the_first_minute_is_just_now_and_later_ones_say_how_long() -> None:
    now = timezone.now()
    assert ago(now - timedelta(seconds=5)) == "just now"
    assert ago(now - timedelta(minutes=5, seconds=2)) == "5\xa0minutes ago"
    assert ago(now - timedelta(days=2, hours=3)) == "2\xa0days, 3\xa0hours ago"
    assert ago(None) == ""
