"""The one way absolute links are built (messages, references, webhooks, the API's servers)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """`SITE_URL` joined with a site-relative `path` (`/runs/7/`)."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def page_url(name: str, *args: Any) -> str:
    """The absolute URL of the page named `name` (`runs:detail`) with positional `args`."""
    return absolute_url(reverse(name, args=args))
