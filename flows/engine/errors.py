"""Errors raised by the flow engine: one type the caller catches, with a message fit for users."""

from __future__ import annotations


class FlowError(Exception):
    """A flow could not be validated or run; `message` is written for the person who built it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParameterError(FlowError):
    """A parameter value does not fit its declared type, or is unknown."""


class FlowStopped(FlowError):
    """The run was stopped from outside before it finished; nothing was published."""


class FlowCanceled(FlowStopped):
    """The run was canceled (its cancel event was set)."""


class FlowTimedOut(FlowStopped):
    """The run went past its time limit (`RunLimits.max_seconds`)."""
