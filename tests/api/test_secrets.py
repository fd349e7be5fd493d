"""A task's secret key is write-only: set, kept, replaced or removed, and never echoed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connections.models import Secret
from connections.resolve import resolve_secret
from plans.models import Plan
from tests.api.conftest import EXAMPLE_PLAN_BODY

pytestmark = pytest.mark.django_db

KEY = "s3cr3t-signing-key-0123456789"


def create_signed_plan(client: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_PLAN_BODY)
    body["tasks"][0]["config"]["secretKey"] = KEY
    response = client.post("/v4/plans", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def stored_key(plan_id: int) -> str | None:
    secret_id = Plan.objects.get(pk=plan_id).tasks.get().secrets.get("secretKey")
    return None if secret_id is None else resolve_secret(secret_id)


def test_it_stores_the_key_and_only_says_it_is_set(user: Any, api_client: Any) -> None:
    client = api_client(user)
    created = create_signed_plan(client)

    assert created["tasks"][0]["config"]["secretKeySet"] is True
    assert "secretKey" not in created["tasks"][0]["config"]
    assert stored_key(created["id"]) == KEY
    # Encrypted at rest: the ciphertext is not the key.
    assert KEY not in str(Secret.objects.get().ciphertext)
    for url in ("/v4/plans", f"/v4/plans/{created['id']}"):
        response = client.get(url)
        assert KEY not in response.content.decode()
        assert '"secretKeySet":true' in response.content.decode().replace(" ", "")


def test_a_patch_without_the_key_keeps_it(user: Any, api_client: Any) -> None:
    client = api_client(user)
    created = create_signed_plan(client)
    task = created["tasks"][0]
    # Exactly what a client read, with a new URL: `secretKeySet` comes back and is ignored.
    task["config"]["url"] = "https://example.com/hooks/other"

    response = client.patch(f"/v4/plans/{created['id']}", {"tasks": [task]}, format="json")

    assert response.status_code == 200, response.json()
    config = response.json()["tasks"][0]["config"]
    assert config["secretKeySet"] is True and config["url"].endswith("/other")
    assert KEY not in response.content.decode()
    assert stored_key(created["id"]) == KEY


def test_a_null_key_removes_it(user: Any, api_client: Any) -> None:
    client = api_client(user)
    created = create_signed_plan(client)
    task = {**created["tasks"][0], "config": {**created["tasks"][0]["config"], "secretKey": None}}

    response = client.patch(f"/v4/plans/{created['id']}", {"tasks": [task]}, format="json")

    assert response.status_code == 200
    assert response.json()["tasks"][0]["config"]["secretKeySet"] is False
    assert stored_key(created["id"]) is None


def test_a_new_key_replaces_the_old_one(user: Any, api_client: Any) -> None:
    client = api_client(user)
    created = create_signed_plan(client)
    task = {
        **created["tasks"][0],
        "config": {**created["tasks"][0]["config"], "secretKey": "rotated-key"},
    }

    response = client.patch(f"/v4/plans/{created['id']}", {"tasks": [task]}, format="json")

    assert response.status_code == 200
    assert "rotated-key" not in response.content.decode()
    assert stored_key(created["id"]) == "rotated-key"


@pytest.mark.parametrize("value", ["", 123, ["k"]])
def test_a_key_that_is_not_text_is_refused(user: Any, api_client: Any, value: Any) -> None:
    body = copy.deepcopy(EXAMPLE_PLAN_BODY)
    body["tasks"][0]["config"]["secretKey"] = value
    response = api_client(user).post("/v4/plans", body, format="json")
    assert response.status_code == 400
    assert "tasks[0].config.secretKey" in response.json()["error"]["details"]
    assert not Secret.objects.exists()


def test_runs_and_jobs_never_show_the_key(user: Any, api_client: Any) -> None:
    client = api_client(user)
    created = create_signed_plan(client)
    run_id = client.post(f"/v4/plans/{created['id']}/run").json()["planSnapshotRunId"]

    for url in (
        f"/v4/planSnapshotRuns/{run_id}",
        f"/v4/planSnapshotRuns?planId={created['id']}",
        f"/v4/jobs?planSnapshotRunId={run_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert KEY not in response.content.decode()
