"""Plain building blocks every app may use: the one validation error type, the error a task
raises to fail its job, and small formatters. No models, no Django app: the bottom layer."""
