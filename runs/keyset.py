"""Keyset pagination for the pages' newest-first lists (Plan Runs, Job History).

Rows are ordered by `(created_at, id)` descending, and a page is cut by the key of the row it
starts after (`?after=<cursor>`, going to older rows) or before (`?before=<cursor>`, going to
newer rows). The database reads only the page (one row more, to know whether another page
follows): no COUNT(*), no OFFSET, so a page costs the same on the first day and after years of
history, and rows added meanwhile neither shift nor repeat what is on screen.

A cursor is `<created_at as epoch microseconds>.<id>`; anything malformed reads as "no cursor"
(the newest page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import QueryDict

M = TypeVar("M", bound=Model)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Key:
    created_at: datetime
    id: int


def encode(created_at: datetime, pk: int) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{pk}"


def decode(cursor: str | None) -> Key | None:
    """The key in `cursor`, or None when it is missing or malformed."""
    if not cursor:
        return None
    micros, _, pk = cursor.partition(".")
    if not (micros.lstrip("-").isdigit() and pk.isdigit()) or len(micros) > 20:
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return Key(created_at=moment, id=int(pk))


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    """One page, newest first; `older` / `newer` are cursors for the pages on either side
    (None when there is none)."""

    items: list[M]
    older: str | None
    newer: str | None

    @property
    def is_first(self) -> bool:
        return self.newer is None


def _older_than(key: Key) -> Q:
    # The redundant `created_at <= key` lets the database walk the (…, -created_at) index.
    return Q(created_at__lte=key.created_at) & (Q(created_at__lt=key.created_at) | Q(id__lt=key.id))


def _newer_than(key: Key) -> Q:
    return Q(created_at__gte=key.created_at) & (Q(created_at__gt=key.created_at) | Q(id__gt=key.id))


def keyset_page(queryset: QuerySet[M], params: QueryDict, *, per_page: int) -> KeysetPage[M]:
    """The page of `queryset` that `params` (`after` or `before`) asks for, newest first.

    `queryset`'s rows need `created_at` and `id`; its own ordering is replaced.
    """
    after, before = decode(params.get("after")), decode(params.get("before"))
    if before is not None and after is None:
        rows = list(
            queryset.filter(_newer_than(before)).order_by("created_at", "id")[: per_page + 1]
        )
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(
            items=rows,
            newer=_cursor(rows[0]) if rows and more_newer else None,
            older=_cursor(rows[-1]) if rows else params.get("before"),
        )
    if after is not None:
        queryset = queryset.filter(_older_than(after))
    rows = list(queryset.order_by("-created_at", "-id")[: per_page + 1])
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(
        items=rows,
        older=_cursor(rows[-1]) if rows and more_older else None,
        newer=(_cursor(rows[0]) if rows else params.get("after")) if after is not None else None,
    )


def _cursor(row: Model) -> str:
    return encode(row.created_at, row.pk)  # type: ignore[attr-defined]


def page_query(params: QueryDict) -> str:
    """`params` without the page cursors, urlencoded: the filters a page link carries."""
    query = params.copy()
    for name in ("after", "before", "page"):
        query.pop(name, None)
    return query.urlencode()
