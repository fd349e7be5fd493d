"""`{% load time_tags %}`: `{{ when|ago }}`, "just now" or "5 minutes ago"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(when: datetime | None) -> str:
    """Django's `timesince` says "0 minutes" for the first minute; a list of runs reads better
    with "just now"."""
    if when is None:
        return ""
    if timezone.now() - when < timedelta(minutes=1):
        return "just now"
    return f"{timesince(when)} ago"
