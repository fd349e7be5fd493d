"""Signals about runs (the overlap queue and notifications listen to `run_finished`)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a run reached a final status in the worker; kwargs: run_id.
run_finished = Signal()
