"""Errors an executor raises to fail its job with a clear message (no traceback shown)."""

from __future__ import annotations


class JobError(Exception):
    """Fails the job with `str(exc)` as its error."""
