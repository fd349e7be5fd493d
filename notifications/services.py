"""Reading and changing a plan's email notification lists; unsubscribing one address.

Lists are validated together and errors are keyed by the API's camelCase path
(`onSuccess[1]`), the shape `ServiceValidationError` carries to the API (400) and the forms.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.errors import FieldErrors, ServiceValidationError
from notifications.models import PlanEmailNotifications
from plans.models import Plan

MAX_RECIPIENTS = 100
# API name -> model field, in the order forms and mails show them.
LISTS = {"onSuccess": "on_success", "onFailure": "on_failure", "onAny": "on_any"}


def plan_notifications_get(plan: Plan) -> PlanEmailNotifications:
    """The plan's settings; an unsaved, disabled, empty row when it has none yet (the row is
    created on the first change)."""
    row = PlanEmailNotifications.objects.filter(plan=plan).first()
    return row if row is not None else PlanEmailNotifications(plan=plan)


def clean_recipients(value: Any, *, path: str) -> tuple[list[str], FieldErrors]:
    """(addresses, errors) for one list: each item must be a valid email address; surrounding
    blanks are dropped and repeats (ignoring case) kept once, in the order given."""
    errors: FieldErrors = {}
    if value is None:
        return [], errors
    if not isinstance(value, list):
        return [], {path: ["Give a list of email addresses."]}
    addresses: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str):
            errors[f"{path}[{index}]"] = ["Must be text (an email address)."]
            continue
        address = item.strip()
        try:
            validate_email(address)
        except ValidationError:
            errors[f"{path}[{index}]"] = [f"{item!r} is not a valid email address."]
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        errors.setdefault(path, []).append(f"At most {MAX_RECIPIENTS} addresses.")
    return addresses, errors


@transaction.atomic
def plan_notifications_update(
    *, plan: Plan, enabled: bool, on_success: Any = None, on_failure: Any = None, on_any: Any = None
) -> PlanEmailNotifications:
    """Replace the plan's switch and its three lists (None means an empty list).

    Raises ServiceValidationError naming every bad address (`onFailure[0]`); nothing is saved then.
    """
    given = {"onSuccess": on_success, "onFailure": on_failure, "onAny": on_any}
    values: dict[str, Any] = {"enabled": bool(enabled)}
    errors: FieldErrors = {}
    for name, field_name in LISTS.items():
        values[field_name], list_errors = clean_recipients(given[name], path=name)
        errors.update(list_errors)
    if errors:
        raise ServiceValidationError(errors)
    row, _ = PlanEmailNotifications.objects.update_or_create(plan=plan, defaults=values)
    return row


@transaction.atomic
def plan_notifications_unsubscribe(*, plan_id: int, address: str) -> bool:
    """Remove `address` (ignoring case) from every list of the plan; True if it was on one.

    The row is locked so an edit saved at the same moment cannot put the address back."""
    row = PlanEmailNotifications.objects.select_for_update().filter(plan_id=plan_id).first()
    if row is None:
        return False
    wanted = address.strip().lower()
    removed = False
    for field_name in LISTS.values():
        kept = [a for a in getattr(row, field_name) if a.lower() != wanted]
        removed = removed or len(kept) != len(getattr(row, field_name))
        setattr(row, field_name, kept)
    if removed:
        row.save(update_fields=[*LISTS.values(), "updated_at"])
    return removed


@transaction.atomic
def plan_notifications_watch_failures(*, plan: Plan, addresses: list[str]) -> list[str]:
    """Put `addresses` on the plan's failure list, as the seed product mails every collaborator
    about failed runs by default (mails go out once the plan's notifications are switched on).

    An address that already hears of failures (on the failure or the any-outcome list) and one
    that is not a valid address are left out; returns the addresses added. Anyone added can
    leave through the unsubscribe link of any mail, or be removed on Plan View.
    """
    wanted = [a.strip() for a in addresses if a and clean_recipients([a], path="a")[0]]
    if not wanted:
        return []
    row, _ = PlanEmailNotifications.objects.select_for_update().get_or_create(plan=plan)
    hearing = {a.lower() for a in (*row.on_failure, *row.on_any)}
    added: list[str] = []
    for address in wanted:
        if address.lower() not in hearing and len(row.on_failure) < MAX_RECIPIENTS:
            row.on_failure = [*row.on_failure, address]
            hearing.add(address.lower())
            added.append(address)
    if added:
        row.save(update_fields=["on_failure", "updated_at"])
    return added
