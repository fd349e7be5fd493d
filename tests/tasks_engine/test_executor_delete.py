"""The Delete task on a local folder under STORAGE_ROOT and on S3 (moto server over HTTP)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from connections.models import Connection
from connections.services import connection_create
from core.errors import TaskError
from runs.models import JobStatus, RunStatus
from tasks_engine.task_types.delete import DeleteTask
from tests.fakes.moto import REGION, s3_secrets, s3_settings
from tests.tasks_engine.plan_helpers import (
    context_for,
    delete_task,
    make_plan,
    no_enqueue,
    run_in_process,
)

__all__ = ["no_enqueue"]


@pytest.fixture
def storage(tmp_path: Path, settings: Any) -> Path:
    """STORAGE_ROOT with a connection folder `files` holding a small tree, and a file beside it."""
    settings.STORAGE_ROOT = tmp_path
    root = tmp_path / "files"
    (root / "reports" / "2024").mkdir(parents=True)
    (root / "reports" / "a.csv").write_text("a")
    (root / "reports" / "2024" / "b.csv").write_text("b")
    (root / "keep.txt").write_text("keep")
    (tmp_path / "outside.txt").write_text("outside")
    return root


@pytest.fixture
def disk(storage: Path, user: Any) -> Connection:
    return connection_create(name="Disk", kind="local", settings={"root": "files"}, owner=user)


def run_delete(
    connection: Connection, path: str, target: str = "file", missing_ok: bool = False, **values: Any
) -> dict[str, Any]:
    config, errors = DeleteTask().clean_config(
        {"connection": connection.pk, "path": path, "target": target, "missingOk": missing_ok}
    )
    assert errors == {}
    result = DeleteTask().run({"config": config}, context_for(values))
    assert result.status == "succeeded"
    return result.result


def tree(root: Path) -> list[str]:
    return sorted(str(Path(d, f).relative_to(root)) for d, _, files in os.walk(root) for f in files)


@pytest.mark.django_db
def test_it_deletes_one_file(disk: Connection, storage: Path) -> None:
    result = run_delete(disk, "reports/a.csv")

    assert result["deletedCount"] == 1
    assert tree(storage) == ["keep.txt", "reports/2024/b.csv"]


@pytest.mark.django_db
def test_it_deletes_a_folder_with_everything_under_it(disk: Connection, storage: Path) -> None:
    result = run_delete(disk, "reports", target="folder")

    assert result["deletedCount"] == 2
    assert sorted(result["deletedSample"]) == ["reports/2024/b.csv", "reports/a.csv"]
    assert not (storage / "reports").exists()
    assert tree(storage) == ["keep.txt"]


@pytest.mark.django_db
def test_deleting_the_root_empties_it_but_keeps_it(disk: Connection, storage: Path) -> None:
    result = run_delete(disk, "", target="folder")

    assert result["deletedCount"] == 3
    assert storage.is_dir()
    assert list(storage.iterdir()) == []
    assert (storage.parent / "outside.txt").exists()


@pytest.mark.django_db
def test_a_missing_target_fails_unless_missing_is_fine(disk: Connection) -> None:
    with pytest.raises(TaskError, match="does not exist"):
        run_delete(disk, "nothing.csv")

    assert run_delete(disk, "nothing.csv", missing_ok=True)["deletedCount"] == 0


@pytest.mark.django_db
def test_the_path_is_filled_from_references(disk: Connection, storage: Path) -> None:
    result = run_delete(disk, "reports/{{$plan.name}}", target="folder", plan={"name": "2024"})

    assert result["path"] == "reports/2024"
    assert tree(storage) == ["keep.txt", "reports/a.csv"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["../outside.txt", "reports/../../outside.txt", "{{$plan.name}}", "/etc/passwd"]
)
def test_a_path_escaping_the_root_is_refused_with_nothing_deleted(
    disk: Connection, storage: Path, path: str
) -> None:
    before = tree(storage.parent)
    config = {"connection": disk.pk, "path": path, "target": "file", "missingOk": True}

    with pytest.raises(TaskError, match="Refused, nothing was deleted"):
        DeleteTask().run({"config": config}, context_for({"plan": {"name": "../outside.txt"}}))

    assert tree(storage.parent) == before


@pytest.mark.django_db
def test_a_link_out_of_the_root_is_refused_with_nothing_deleted(
    disk: Connection, storage: Path
) -> None:
    (storage / "escape").symlink_to(storage.parent, target_is_directory=True)
    before = tree(storage.parent)

    with pytest.raises(TaskError, match="Refused, nothing was deleted"):
        run_delete(disk, "escape/outside.txt")

    assert tree(storage.parent) == before


@pytest.mark.django_db
def test_the_config_refuses_escapes_unknown_targets_and_non_storage_connections(
    disk: Connection,
) -> None:
    slack = connection_create(name="Team", kind="slack", secrets={"token": "xoxb-1"})

    _, errors = DeleteTask().clean_config(
        {"connection": slack.pk, "path": "../x", "target": "bucket"}
    )
    assert set(errors) == {"connection", "path", "target"}
    _, errors = DeleteTask().clean_config({"connection": disk.pk, "path": "", "target": "file"})
    assert errors == {"path": ["Give the path of the file to delete."]}


@pytest.mark.django_db(transaction=True)
def test_a_delete_task_runs_inside_a_plan(
    user: Any, disk: Connection, storage: Path, no_enqueue: list[int]
) -> None:
    plan = make_plan(user, [delete_task("Clean", disk, "reports", target="folder")])

    run = run_in_process(plan)

    assert run.status == RunStatus.SUCCEEDED, run.error
    job = run.jobs.get()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["deletedCount"] == 2


# --- S3 through a moto server -------------------------------------------------------------


@pytest.fixture
def bucket(moto_server: str, request: pytest.FixtureRequest) -> Any:
    """A fresh bucket with objects under exports/ and one beside it."""
    name = f"b-{abs(hash(request.node.name)) % 10**10}"
    client = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=moto_server,
        aws_access_key_id=s3_secrets()["accessKeyId"],
        aws_secret_access_key=s3_secrets()["secretAccessKey"],
    )
    client.create_bucket(Bucket=name)
    for key in ("exports/day1/a.csv", "exports/day1/b.csv", "exports/c.csv", "other/d.csv"):
        client.put_object(Bucket=name, Key=key, Body=b"x")
    return client, name


def keys(client: Any, name: str) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", []))


@pytest.mark.django_db
def test_it_deletes_an_s3_folder_under_the_connections_prefix(
    moto_server: str, bucket: Any
) -> None:
    client, name = bucket
    connection = connection_create(
        name="Bucket",
        kind="s3",
        settings=s3_settings(moto_server, name, "exports"),
        secrets=s3_secrets(),
    )

    result = run_delete(connection, "day1", target="folder")

    assert result["deletedCount"] == 2
    assert keys(client, name) == ["exports/c.csv", "other/d.csv"]


@pytest.mark.django_db
def test_deleting_the_s3_root_empties_the_prefix_and_keeps_the_bucket(
    moto_server: str, bucket: Any
) -> None:
    client, name = bucket
    connection = connection_create(
        name="Bucket",
        kind="s3",
        settings=s3_settings(moto_server, name, "exports"),
        secrets=s3_secrets(),
    )

    assert run_delete(connection, "", target="folder")["deletedCount"] == 3
    assert keys(client, name) == ["other/d.csv"]
    client.head_bucket(Bucket=name)


@pytest.mark.django_db
def test_an_s3_escape_is_refused_and_a_missing_s3_file_fails(moto_server: str, bucket: Any) -> None:
    client, name = bucket
    connection = connection_create(
        name="Bucket",
        kind="s3",
        settings=s3_settings(moto_server, name, "exports"),
        secrets=s3_secrets(),
    )

    # Saved configs refuse such a path; one filled in from a reference is refused at run time.
    config = {"connection": connection.pk, "path": "{{$plan.name}}", "target": "file"}
    with pytest.raises(TaskError, match="Refused, nothing was deleted"):
        DeleteTask().run(
            {"config": {**config, "missingOk": False}},
            context_for({"plan": {"name": "../other/d.csv"}}),
        )
    with pytest.raises(TaskError, match="does not exist"):
        run_delete(connection, "missing.csv")
    assert len(keys(client, name)) == 4
