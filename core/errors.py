"""The one validation error of the services, and the error that fails a job with a message.

Every service that checks input raises `ServiceValidationError` with every bad field, keyed by
the camelCase path of the field (`tasks[0].config.url`, `settings.bucket`): the shape the API
returns in `error.details` and the admin and pages map back onto their form fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

FieldErrors = dict[str, list[str]]


def add_error(errors: FieldErrors, path: str, message: str) -> None:
    """Append `message` to the errors of `path` (a field may have several)."""
    errors.setdefault(path, []).append(message)


def merge_errors(
    errors: FieldErrors, more: Mapping[str, Iterable[str]], *, prefix: str = ""
) -> None:
    """Add every message of `more` to `errors`, each path prefixed with `prefix.` when given."""
    for path, messages in more.items():
        for message in messages:
            add_error(errors, f"{prefix}.{path}" if prefix else path, message)


class ServiceValidationError(Exception):
    """Raised by services with every bad field, keyed by path; nothing was saved."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class TaskError(Exception):
    """Fails the job that raised it with `str(exc)` as its error (no traceback shown).

    Raised by task types, and by lower layers a task type calls (a connection that is gone, a
    secret that was deleted), whenever the message alone tells the user what went wrong.
    """
