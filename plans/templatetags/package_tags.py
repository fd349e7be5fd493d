"""`{% import_export_allowed as name %}`: whether pages show Export and Import."""

from __future__ import annotations

from django import template

from workspace.selectors import get_workspace_settings

register = template.Library()


@register.simple_tag
def import_export_allowed() -> bool:
    return get_workspace_settings().import_export_enabled
