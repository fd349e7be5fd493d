"""Signals about runs, so the apps above `runs` act on them without `runs` importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per run, after the transaction that gave it its final status committed (by
# `runs.state.run_end`: the worker's finish, a cancel or the reaper); kwargs: run_id.
run_finished = Signal()

# Sent after the transaction that queued a run's jobs committed (a new run, a retry): the
# engine (`tasks_engine.receivers`) sends them to the workers; kwargs: run_id.
run_queued = Signal()
