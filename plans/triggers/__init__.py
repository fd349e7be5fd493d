"""Triggers: a plan's schedule entries, their django-celery-beat sync and their firing.

- `services`: create, update, delete, enable/disable triggers; pause and unpause plans.
- `beat`: one django-celery-beat `PeriodicTask` per trigger, kept in step by `sync_trigger`.
- `firing`: `fire_trigger(trigger_id)`, what the beat message does (slot, overlap, catch-up).
- `selectors`: reads for pages and the API (next fire times, next run per plan, skipped slots).
"""
