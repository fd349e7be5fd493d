"""A plan's tasks may use only the connections and flows its owner may use: runs act with the
owner's access, so nobody borrows another user's Slack token, bucket or flow by its id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from connections.models import Connection
from connections.services import connection_create
from core.errors import ServiceValidationError
from flows.services import flow_create
from plans.models import Plan, PlanTask
from plans.services import plan_create, plan_update
from tests.plans.test_admin import ADD_URL, errors_of, form_data, task_fields

pytestmark = pytest.mark.django_db

FLOW_DEFINITION = {
    "datasets": [{"name": "sales", "path": "data/sales.csv", "format": "csv"}],
    "recipes": [{"name": "main", "source": {"dataset": "sales"}, "steps": []}],
    "outputs": [{"name": "all", "recipe": "main", "path": "out/sales.csv", "format": "csv"}],
}


def slack_connection(owner: Any, name: str = "team") -> Connection:
    return connection_create(name=name, kind="slack", secrets={"token": "xoxb-1"}, owner=owner)


def slack_task(connection: Connection) -> dict[str, Any]:
    return {
        "name": "tell",
        "type": "slack",
        "config": {"connection": connection.pk, "channel": "#data", "message": "done"},
    }


def test_the_owner_uses_their_own_connection(user: Any) -> None:
    plan = plan_create(owner=user, name="Mine", tasks=[slack_task(slack_connection(user))])
    assert plan.tasks.get().config["connection"] == Connection.objects.get().pk


def test_another_users_connection_is_refused_as_if_it_did_not_exist(
    user: Any, other_user: Any
) -> None:
    theirs = slack_connection(other_user, name="their-secret-workspace")

    with pytest.raises(ServiceValidationError) as raised:
        plan_create(owner=user, name="Borrowing", tasks=[slack_task(theirs)])

    assert raised.value.errors == {
        "tasks[0].config.connection": [
            f"No connection with id {theirs.pk} that the plan's owner may use."
        ]
    }
    assert not Plan.objects.exists()


def test_a_staff_owned_plan_may_use_any_connection(user: Any, staff_user: Any) -> None:
    plan = plan_create(owner=staff_user, name="Ops", tasks=[slack_task(slack_connection(user))])
    assert plan.tasks.count() == 1


def test_another_users_flow_is_refused_without_naming_it(
    user: Any, other_user: Any, api_client: Any
) -> None:
    flow = flow_create(owner=other_user, name="Payroll secrets", definition=FLOW_DEFINITION)
    body = {
        "name": "Borrowing a flow",
        "tasks": [{"name": "build", "type": "flow", "config": {"flow": flow.pk}}],
    }

    response = api_client(user).post("/v4/plans", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "tasks[0].config.flow": [f"No flow with id {flow.pk} that the plan's owner may use."]
    }
    assert "Payroll" not in response.content.decode()
    assert not Plan.objects.exists()


def test_an_editor_cannot_bring_their_own_connection_into_the_owners_plan(
    user: Any, other_user: Any, api_client: Any, share: Any
) -> None:
    plan = plan_create(owner=user, name="Shared", tasks=[slack_task(slack_connection(user))])
    share(plan, other_user, "editor")
    editors = slack_connection(other_user, name="editor-workspace")

    response = api_client(other_user).patch(
        f"/v4/plans/{plan.pk}", {"tasks": [slack_task(editors)]}, format="json"
    )

    assert response.status_code == 400
    assert "tasks[0].config.connection" in response.json()["error"]["details"]
    assert PlanTask.objects.get().config["connection"] != editors.pk
    # Through the service too, whoever calls it: the plan's owner is what counts.
    with pytest.raises(ServiceValidationError):
        plan_update(plan=plan, tasks=[slack_task(editors)])


def test_the_admin_shows_the_error_on_the_task_and_saves_nothing(
    client: Any, user: Any, staff_user: Any
) -> None:
    """Staff see every connection in the admin, but the plan's owner is who runs it."""
    staffs = slack_connection(staff_user, name="staff-workspace")
    config = {"connection": staffs.pk, "channel": "#data", "message": "done"}
    client.force_login(staff_user)

    response = client.post(
        reverse(ADD_URL),
        form_data([task_fields(type="slack", config_json=json.dumps(config))], owner=user),
    )

    assert response.status_code == 200, "the form is shown again with its errors"
    messages = " ".join(errors_of(response)["forms"][0]["config_json"])
    assert f"No connection with id {staffs.pk} that the plan's owner may use." in messages
    assert not Plan.objects.exists()

    # The same task for a plan staff own is fine.
    client.post(
        reverse(ADD_URL),
        form_data([task_fields(type="slack", config_json=json.dumps(config))], owner=staff_user),
    )
    assert Plan.objects.get().owner == staff_user
