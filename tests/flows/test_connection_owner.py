"""A flow reads and writes with its owner's access: its datasets and outputs may use only
connections the owner may use (staff see every connection in the admin, but cannot attach one
the owner may not use)."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms import inlineformset_factory

from connections.services import connection_create
from core.errors import ServiceValidationError
from flows.admin import DatasetInline, FlowConnectionsFormSet, FormatForm
from flows.models import Dataset, Flow
from flows.services import flow_create

pytestmark = pytest.mark.django_db


def definition(connection: Any) -> dict[str, Any]:
    return {
        "datasets": [
            {"name": "sales", "connection": connection, "path": "sales.csv", "format": "csv"}
        ],
        "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
        "outputs": [{"name": "all", "recipe": "main", "path": "out/all.csv", "format": "csv"}],
    }


def disk(owner: Any, name: str) -> Any:
    return connection_create(name=name, kind="local", settings={"root": name}, owner=owner)


def test_a_flow_uses_its_owners_connection(user: Any) -> None:
    flow = flow_create(owner=user, name="Mine", definition=definition(disk(user, "mine")))
    assert flow.datasets.get().connection.name == "mine"


def test_another_users_connection_is_refused_and_nothing_saved(user: Any, other_user: Any) -> None:
    theirs = disk(other_user, "theirs")

    with pytest.raises(ServiceValidationError) as raised:
        flow_create(owner=user, name="Borrowing", definition=definition(theirs))

    assert raised.value.errors == {
        "datasets[0].connection": [
            f"No connection with id {theirs.pk} that the flow's owner may use."
        ]
    }
    assert not Flow.objects.exists()


@pytest.mark.parametrize("adding", [False, True])
def test_the_admin_refuses_a_dataset_connection_the_flows_owner_may_not_use(
    user: Any, staff_user: Any, adding: bool
) -> None:
    mine = disk(user, "mine")
    staffs = disk(staff_user, "staff-only")
    # A new flow in the add view is unsaved, its owner set from the flow form.
    flow = (
        Flow(owner=user, name="New")
        if adding
        else flow_create(owner=user, name="Owned", definition=definition(mine))
    )
    rows = inlineformset_factory(
        Flow, Dataset, form=FormatForm, formset=FlowConnectionsFormSet, fields=DatasetInline.fields
    )

    def submit(connection: Any) -> Any:
        row = {"name": "extra", "path": "x.csv", "format": "csv", "options": "{}"}
        data = {
            "datasets-TOTAL_FORMS": "1", "datasets-INITIAL_FORMS": "0",
            **{f"datasets-0-{k}": v for k, v in {**row, "connection": connection.pk}.items()},
        }  # fmt: skip
        return rows(data=data, instance=flow, prefix="datasets")

    refused, accepted = submit(staffs), submit(mine)

    assert not refused.is_valid()
    assert refused.forms[0].errors["connection"] == [
        "The flow's owner may not use this connection."
    ]
    assert accepted.is_valid(), accepted.errors
