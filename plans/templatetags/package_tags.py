"""`{% import_export_allowed as name %}`: whether pages show Export and Import."""

from __future__ import annotations

from django import template

from plans.packages import gate

register = template.Library()


@register.simple_tag
def import_export_allowed() -> bool:
    return gate.import_export_allowed()
