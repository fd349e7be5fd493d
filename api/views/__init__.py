"""API views: one class per operation, grouped by resource (plans, runs, jobs)."""
