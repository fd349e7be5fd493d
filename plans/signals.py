"""Signals the apps above plans hook into, so that plans never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the deleting transaction, before the rows go; kwargs: plan.
plan_deleting = Signal()

# Sent inside the sharing transaction; kwargs: plan, new_addresses (e-mails of new collaborators).
plan_shared = Signal()

# Sent inside the unsharing transaction, after the share is gone; kwargs: plan, user.
plan_unshared = Signal()
