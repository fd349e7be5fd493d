"""Connections: services, write-only secrets, the /v4/connections API and the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from connections.models import Connection, Secret
from connections.resolve import connection_resolve
from connections.secrets import decrypt_secret
from connections.services import connection_create, connection_delete, connection_update
from core.errors import ServiceValidationError, TaskError

pytestmark = pytest.mark.django_db

TOKEN = "xoxb-this-is-the-token-1234"
ACCESS = "AKIA-the-access-key-id"
SECRET = "the-secret-access-key-value"


def s3(**changes: Any) -> Connection:
    return connection_create(
        name="Bucket",
        kind="s3",
        settings={"bucket": "exports", "prefix": "nightly/", "region": "eu-west-1"},
        secrets={"accessKeyId": ACCESS, "secretAccessKey": SECRET},
        **changes,
    )


def errors_of(call: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ServiceValidationError) as caught:
        call(**kwargs)
    return caught.value.errors


# --- services -------------------------------------------------------------------------


def test_it_stores_a_slack_token_encrypted_and_only_by_reference() -> None:
    connection = connection_create(name="Team", kind="slack", secrets={"token": TOKEN})

    secret = Secret.objects.get(pk=connection.secrets["token"])
    assert TOKEN not in secret.ciphertext
    assert decrypt_secret(secret.ciphertext) == TOKEN
    assert TOKEN not in str(connection.settings) + str(connection.secrets)


def test_it_refuses_a_slack_connection_without_a_token() -> None:
    errors = errors_of(connection_create, name="Team", kind="slack", secrets={})

    assert errors == {"secrets.token": ["A Slack connection needs a token."]}
    assert not Connection.objects.exists()


def test_it_validates_s3_settings_and_asks_for_both_keys_or_neither() -> None:
    errors = errors_of(
        connection_create,
        name="Bad",
        kind="s3",
        settings={"prefix": "x", "endpointUrl": "ftp://nope", "colour": "red"},
        secrets={"accessKeyId": ACCESS, "sessionToken": "t"},
    )

    assert set(errors) == {
        "settings.bucket",
        "settings.endpointUrl",
        "settings.colour",
        "secrets.sessionToken",
        "secrets.secretAccessKey",
    }


def test_it_accepts_an_s3_connection_without_keys_for_the_default_credential_chain() -> None:
    connection = connection_create(name="Role", kind="s3", settings={"bucket": "b"})

    assert connection.secrets == {}
    assert connection.settings == {"bucket": "b", "prefix": "", "region": "", "endpointUrl": ""}


@pytest.mark.parametrize("root", ["/etc", "../outside", "a/../../b"])
def test_it_keeps_local_roots_inside_storage_root(root: str) -> None:
    errors = errors_of(connection_create, name="Disk", kind="local", settings={"root": root})

    assert list(errors) == ["settings.root"]


def test_it_normalises_a_local_root() -> None:
    assert connection_create(name="A", kind="local", settings={"root": "./a//b/"}).settings == {
        "root": "a/b"
    }
    assert connection_create(name="B", kind="local", settings={"root": "."}).settings == {
        "root": "."
    }


def test_an_update_without_a_secret_keeps_it_and_null_removes_it() -> None:
    connection = s3()
    before = dict(connection.secrets)

    connection_update(connection=connection, settings={"bucket": "other"})
    assert connection.secrets == before
    assert connection.settings["bucket"] == "other"

    connection_update(connection=connection, secrets={"accessKeyId": None, "secretAccessKey": None})
    assert connection.secrets == {}
    assert not Secret.objects.filter(pk__in=before.values()).exists()


def test_replacing_a_secret_makes_a_new_row_and_drops_the_old_one() -> None:
    connection = connection_create(name="Team", kind="slack", secrets={"token": TOKEN})
    old = connection.secrets["token"]

    connection_update(connection=connection, secrets={"token": "xoxb-new"})

    assert connection.secrets["token"] != old
    assert not Secret.objects.filter(pk=old).exists()
    assert connection_resolve(connection.pk, kinds=("slack",)).secrets == {"token": "xoxb-new"}


def test_it_refuses_to_remove_one_s3_key_or_the_slack_token_or_change_the_kind() -> None:
    bucket = s3()
    team = connection_create(name="Team", kind="slack", secrets={"token": TOKEN})

    assert list(errors_of(connection_update, connection=bucket, secrets={"accessKeyId": None})) == [
        "secrets.accessKeyId"
    ]
    assert list(errors_of(connection_update, connection=team, secrets={"token": None})) == [
        "secrets.token"
    ]
    assert list(errors_of(connection_update, connection=team, kind="s3")) == ["kind"]


def test_names_are_unique() -> None:
    s3()

    assert list(
        errors_of(connection_create, name="Bucket", kind="local", settings={"root": "x"})
    ) == ["name"]


def test_deleting_a_connection_deletes_its_secrets_and_later_lookups_fail_clearly() -> None:
    connection = s3()
    secret_ids = list(connection.secrets.values())
    connection_id = connection.pk

    connection_delete(connection=connection)

    assert not Secret.objects.filter(pk__in=secret_ids).exists()
    with pytest.raises(TaskError, match=rf"connection #{connection_id} .* no longer exists"):
        connection_resolve(connection_id, kinds=("s3",))


def test_resolving_refuses_a_connection_of_the_wrong_kind() -> None:
    connection = s3()

    with pytest.raises(TaskError, match="needs one of: slack"):
        connection_resolve(connection.pk, kinds=("slack",))


# --- API ------------------------------------------------------------------------------


def test_the_api_creates_a_connection_and_never_returns_its_secrets(
    user: Any, api_client: Any
) -> None:
    client = api_client(user)

    created = client.post(
        "/v4/connections",
        {"name": "Team", "kind": "slack", "settings": {}, "secrets": {"token": TOKEN}},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secrets"] == {"token": {"set": True}}
    assert {k: body[k] for k in ("name", "kind", "settings")} == {
        "name": "Team",
        "kind": "slack",
        "settings": {},
    }
    assert TOKEN not in created.content.decode()
    fetched = client.get(f"/v4/connections/{body['id']}")
    assert fetched.json()["secrets"] == {"token": {"set": True}}
    assert TOKEN not in fetched.content.decode()
    assert Connection.objects.get(pk=body["id"]).owner == user


def test_the_api_names_every_bad_field(user: Any, api_client: Any) -> None:
    response = api_client(user).post(
        "/v4/connections",
        {"name": "", "kind": "s3", "settings": {"endpointUrl": "nope"}, "secrets": {}},
        format="json",
    )

    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "settings.bucket" in details
    assert "settings.endpointUrl" in details


def test_the_api_patch_keeps_absent_secrets_removes_null_ones_and_accepts_its_own_output(
    user: Any, api_client: Any
) -> None:
    client = api_client(user)
    connection = s3(owner=user)
    url = f"/v4/connections/{connection.pk}"

    read = client.get(url).json()
    read["name"] = "Renamed"
    echoed = client.patch(url, read, format="json")
    assert echoed.status_code == 200, echoed.content
    assert echoed.json()["secrets"] == {
        "accessKeyId": {"set": True},
        "secretAccessKey": {"set": True},
    }
    assert echoed.json()["name"] == "Renamed"

    removed = client.patch(
        url, {"secrets": {"accessKeyId": None, "secretAccessKey": None}}, format="json"
    )
    assert removed.json()["secrets"] == {
        "accessKeyId": {"set": False},
        "secretAccessKey": {"set": False},
    }
    assert client.delete(url).status_code == 204
    assert not Connection.objects.filter(pk=connection.pk).exists()


def test_an_outsider_sees_nothing_of_the_owners_connections(
    user: Any, other_user: Any, api_client: Any
) -> None:
    connection = s3(owner=user)
    outsider = api_client(other_user)

    assert outsider.get("/v4/connections").json() == {"data": [], "next": None}
    assert outsider.get(f"/v4/connections/{connection.pk}").status_code == 404
    assert outsider.patch(f"/v4/connections/{connection.pk}", {}, format="json").status_code == 404
    assert outsider.delete(f"/v4/connections/{connection.pk}").status_code == 404


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    user: Any, api_client: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client(user)
    for n in range(5):
        connection_create(name=f"Disk {n}", kind="local", settings={"root": f"d{n}"}, owner=user)
    client.get("/v4/connections")  # token last-used write happens once

    with django_assert_max_num_queries(3):
        first = client.get("/v4/connections?limit=3").json()

    assert [c["name"] for c in first["data"]] == ["Disk 0", "Disk 1", "Disk 2"]
    second = client.get(first["next"]).json()
    assert [c["name"] for c in second["data"]] == ["Disk 3", "Disk 4"]
    assert second["next"] is None


# --- admin ----------------------------------------------------------------------------


def test_the_admin_shows_a_set_secret_as_a_mask_with_a_replace_field(
    staff_user: Any, client: Any
) -> None:
    connection = connection_create(name="Team", kind="slack", secrets={"token": TOKEN})
    client.force_login(staff_user)
    url = reverse("admin:connections_connection_change", args=[connection.pk])

    page = client.get(url).content.decode()

    assert "•••• set" in page
    assert 'name="replace_token"' in page
    assert TOKEN not in page
    listing = client.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "token: •••• set" in listing
    assert TOKEN not in listing


def test_the_admin_keeps_an_empty_replace_field_and_replaces_a_filled_one(
    staff_user: Any, client: Any
) -> None:
    connection = connection_create(name="Team", kind="slack", secrets={"token": TOKEN})
    client.force_login(staff_user)
    url = reverse("admin:connections_connection_change", args=[connection.pk])

    kept = client.post(url, {"name": "Team 2", "settings": "{}", "replace_token": ""})
    assert kept.status_code == 302, kept.content.decode()[:2000]
    connection.refresh_from_db()
    assert connection.name == "Team 2"
    assert connection_resolve(connection.pk, kinds=("slack",)).secrets["token"] == TOKEN

    client.post(url, {"name": "Team 2", "settings": "{}", "replace_token": "xoxb-new"})
    assert connection_resolve(connection.pk, kinds=("slack",)).secrets["token"] == "xoxb-new"


def test_the_admin_adds_a_connection_through_the_service_and_shows_its_errors(
    staff_user: Any, client: Any
) -> None:
    client.force_login(staff_user)
    url = reverse("admin:connections_connection_add")

    refused = client.post(url, {"name": "Team", "kind": "slack", "settings": "{}"})
    assert refused.status_code == 200
    assert "A Slack connection needs a token." in refused.content.decode()

    added = client.post(
        url, {"name": "Team", "kind": "slack", "settings": "{}", "replace_token": TOKEN}
    )
    assert added.status_code == 302
    connection = Connection.objects.get(name="Team")
    assert connection.owner == staff_user
    assert connection_resolve(connection.pk, kinds=("slack",)).secrets["token"] == TOKEN


def test_the_admin_form_has_a_replace_and_a_remove_box_for_every_secret_field() -> None:
    from connections.admin import ALL_SECRET_FIELDS, ConnectionAdminForm

    for name in ALL_SECRET_FIELDS:
        assert f"replace_{name}" in ConnectionAdminForm.base_fields
        assert f"remove_{name}" in ConnectionAdminForm.base_fields
