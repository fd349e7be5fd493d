"""Signals of the workspace settings."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the saving transaction after a switch changed; kwargs: before, after (dicts of
# the switches' values). The plans app uses it to skip the slots missed while plans were off.
workspace_settings_changed = Signal()
