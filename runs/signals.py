"""Signals about runs (the overlap queue and notifications listen to `run_finished`)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per run, after the transaction that gave it its final status committed (by
# `runs.state.run_end`: the worker's finish, a cancel or the reaper); kwargs: run_id.
run_finished = Signal()
