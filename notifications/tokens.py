"""The unsubscribe token in each mail: the plan and the address, signed with SECRET_KEY.

It does not expire (a mail may be read months later) and is the only credential the
unsubscribe page needs: a recipient may have no account.
"""

from __future__ import annotations

from django.core import signing

_SALT = "notifications.unsubscribe"


class BadToken(Exception):
    """The token was not made by this installation, or was altered."""


def unsubscribe_token(*, plan_id: int, address: str) -> str:
    return signing.dumps({"plan": plan_id, "address": address}, salt=_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(plan id, address) from a token; raises BadToken for a forged or damaged one."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature as error:
        raise BadToken("This unsubscribe link is not valid.") from error
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("plan"), int)
        or not isinstance(value.get("address"), str)
    ):
        raise BadToken("This unsubscribe link is not valid.")
    return value["plan"], value["address"]
