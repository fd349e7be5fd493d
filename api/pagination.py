"""Keyset pagination for API lists: `{"data": [...], "next": <absolute url> | null}`.

Pages are cut on the primary key (`?cursor=<last id of the previous page>`), so the cost of a
page does not grow with the rows before it, and rows added meanwhile neither shift nor repeat
what a client has already seen. Clients treat `cursor` as opaque and follow `next`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from api.fields import MAX_ID

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000

M = TypeVar("M", bound=Model)


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_url: str | None


def _positive_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise serializers.ValidationError({name: ["Enter a whole number of at least 1."]})
    return int(raw)


def read_limit(request: Request) -> int:
    """`?limit=`: default 25; above 1000 is lowered to 1000; anything but a positive int is a 400."""
    limit = _positive_int(request, "limit")
    return DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)


def paginate(request: Request, queryset: QuerySet[M], *, newest_first: bool) -> Page[M]:
    """One page of `queryset` ordered by id (descending when `newest_first`).

    Fetches one row more than the limit to know whether a next page exists.
    """
    limit = read_limit(request)
    cursor = _positive_int(request, "cursor")
    if cursor is not None:
        queryset = (
            queryset.filter(pk__lt=cursor) if newest_first else queryset.filter(pk__gt=cursor)
        )
    rows = list(queryset.order_by("-pk" if newest_first else "pk")[: limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", rows[-1].pk)
    return Page(items=rows, next_url=next_url)


def list_body(data: list[Any], page: Page[Any]) -> dict[str, Any]:
    return {"data": data, "next": page.next_url}
