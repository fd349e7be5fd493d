"""Storage backends: what delete removes, what it refuses, and that it never leaves the root."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from connections.storage import (
    DeleteResult,
    PathEscapeError,
    StorageBackend,
    StorageError,
    backend_for,
    local_root,
)
from tests.fakes import fixtures
from tests.fakes import moto as moto_fakes
from tests.fakes.http_server import HttpPeer

moto_server = fixtures.moto_server
http_peer = fixtures.http_peer


def make_tree(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    make_tree(folder, {"a.txt": "a", "reports/2024/jan.csv": "1", "reports/feb.csv": "2"})
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    make_tree(folder, {"precious.txt": "keep me"})
    return folder


@pytest.fixture
def local(root: Path) -> StorageBackend:
    return backend_for("local", {"root": str(root)}, {})


class TestLocal:
    def test_it_deletes_a_file(self, local: StorageBackend, root: Path) -> None:
        result = local.delete("a.txt", target="file")

        assert result == DeleteResult(deleted_count=1, paths_sample=["a.txt"])
        assert not (root / "a.txt").exists()
        assert (root / "reports/feb.csv").exists()

    def test_it_deletes_a_folder_with_everything_under_it(
        self, local: StorageBackend, root: Path
    ) -> None:
        result = local.delete("reports", target="folder")

        assert result.deleted_count == 2
        assert sorted(result.paths_sample) == ["reports/2024/jan.csv", "reports/feb.csv"]
        assert not (root / "reports").exists()
        assert (root / "a.txt").exists()

    def test_it_empties_the_root_but_keeps_it(self, local: StorageBackend, root: Path) -> None:
        result = local.delete("", target="folder")

        assert result.deleted_count == 3
        assert root.is_dir()
        assert list(root.iterdir()) == []

    def test_it_refuses_to_delete_the_root_as_a_file(self, local: StorageBackend) -> None:
        with pytest.raises(StorageError, match="is a folder"):
            local.delete("", target="file")

    def test_it_refuses_a_folder_given_as_a_file_and_the_reverse(
        self, local: StorageBackend, root: Path
    ) -> None:
        with pytest.raises(StorageError, match="is a folder, not a file"):
            local.delete("reports", target="file")
        with pytest.raises(StorageError, match="is a file, not a folder"):
            local.delete("a.txt", target="folder")
        assert (root / "reports/feb.csv").exists()
        assert (root / "a.txt").exists()

    def test_it_reports_a_missing_target(self, local: StorageBackend) -> None:
        with pytest.raises(StorageError, match="does not exist"):
            local.delete("nope.txt", target="file")
        with pytest.raises(StorageError, match="does not exist"):
            local.delete("nope", target="folder")

    def test_it_deletes_nothing_for_a_missing_target_when_allowed(
        self, local: StorageBackend
    ) -> None:
        assert local.delete("nope", target="folder", missing_ok=True) == DeleteResult(0, [])
        assert local.delete("nope.txt", target="file", missing_ok=True) == DeleteResult(0, [])

    @pytest.mark.parametrize("path", ["../outside/precious.txt", "reports/../../outside", ".."])
    def test_it_refuses_a_path_that_climbs_out(
        self, local: StorageBackend, outside: Path, path: str
    ) -> None:
        with pytest.raises(PathEscapeError):
            local.delete(path, target="folder", missing_ok=True)
        assert (outside / "precious.txt").read_text() == "keep me"

    def test_it_refuses_an_absolute_path(self, local: StorageBackend, outside: Path) -> None:
        with pytest.raises(PathEscapeError):
            local.delete(str(outside), target="folder")
        with pytest.raises(PathEscapeError):
            local.delete("/etc", target="folder")
        assert (outside / "precious.txt").exists()

    def test_it_refuses_a_link_that_points_out_of_the_root(
        self, local: StorageBackend, root: Path, outside: Path
    ) -> None:
        (root / "escape").symlink_to(outside, target_is_directory=True)

        with pytest.raises(PathEscapeError):
            local.delete("escape", target="folder")
        with pytest.raises(PathEscapeError):
            local.delete("escape/precious.txt", target="file")
        assert (outside / "precious.txt").read_text() == "keep me"
        assert (root / "escape").is_symlink()

    def test_it_unlinks_links_inside_a_folder_without_following_them(
        self, local: StorageBackend, root: Path, outside: Path
    ) -> None:
        (root / "reports/to-folder").symlink_to(outside, target_is_directory=True)
        (root / "reports/to-file").symlink_to(outside / "precious.txt")
        (root / "reports/dangling").symlink_to(outside / "gone")

        result = local.delete("reports", target="folder")

        assert result.deleted_count == 5
        assert not (root / "reports").exists()
        assert (outside / "precious.txt").read_text() == "keep me"
        assert outside.is_dir()

    def test_it_empties_a_root_holding_a_link_out_without_following_it(
        self, local: StorageBackend, root: Path, outside: Path
    ) -> None:
        (root / "escape").symlink_to(outside, target_is_directory=True)

        local.delete("", target="folder")

        assert list(root.iterdir()) == []
        assert (outside / "precious.txt").exists()

    def test_it_keeps_the_root_reached_through_a_link_to_its_parent(
        self, local: StorageBackend, root: Path
    ) -> None:
        (root / "up").symlink_to(root.parent, target_is_directory=True)

        local.delete(f"up/{root.name}", target="folder")

        assert root.is_dir()
        assert list(root.iterdir()) == []

    def test_it_deletes_a_link_inside_the_root_as_a_file(
        self, local: StorageBackend, root: Path
    ) -> None:
        (root / "shortcut").symlink_to(root / "reports", target_is_directory=True)

        with pytest.raises(StorageError, match="is a link, not a folder"):
            local.delete("shortcut", target="folder")
        assert local.delete("shortcut", target="file").deleted_count == 1
        assert (root / "reports/feb.csv").exists()

    def test_it_says_whether_a_path_exists(self, local: StorageBackend) -> None:
        assert local.exists("")
        assert local.exists("reports")
        assert local.exists("reports/feb.csv")
        assert not local.exists("reports/mar.csv")
        with pytest.raises(PathEscapeError):
            local.exists("../outside")

    def test_it_lists_files_under_a_path(self, local: StorageBackend) -> None:
        assert local.list("") == ["a.txt", "reports/feb.csv", "reports/2024/jan.csv"]
        assert local.list("reports", limit=1) == ["reports/feb.csv"]
        assert local.list("a.txt") == ["a.txt"]
        assert local.list("missing") == []

    def test_it_reports_a_missing_root(self, tmp_path: Path) -> None:
        backend = backend_for("local", {"root": str(tmp_path / "absent")}, {})

        with pytest.raises(StorageError, match="does not exist"):
            backend.delete("", target="folder")

    def test_it_places_a_relative_root_under_storage_root(self, settings, tmp_path: Path) -> None:
        settings.STORAGE_ROOT = str(tmp_path)
        make_tree(tmp_path / "team", {"x.txt": "x"})

        backend = backend_for("local", {"root": "team"}, {})

        assert backend.list("") == ["x.txt"]
        assert local_root("team/a", storage_root=tmp_path) == tmp_path / "team/a"
        with pytest.raises(PathEscapeError):
            local_root("../elsewhere", storage_root=tmp_path)

    def test_it_refuses_an_unknown_kind(self) -> None:
        with pytest.raises(StorageError, match="Unknown storage kind 'ftp'"):
            backend_for("ftp", {}, {})


@pytest.fixture
def bucket(moto_server: str) -> str:
    name = f"plans-{uuid.uuid4().hex[:12]}"
    client = s3_client(moto_server)
    client.create_bucket(Bucket=name)
    return name


def s3_client(endpoint_url: str):  # boto3 clients are generated classes; no useful annotation.
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=moto_fakes.REGION,
        aws_access_key_id=moto_fakes.ACCESS_KEY_ID,
        aws_secret_access_key=moto_fakes.SECRET_ACCESS_KEY,
    )


def put_keys(endpoint_url: str, bucket: str, keys: list[str]) -> None:
    client = s3_client(endpoint_url)
    # Threads: thousands of sequential PUTs to moto take half a minute.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))


def all_keys(endpoint_url: str, bucket: str) -> list[str]:
    paginator = s3_client(endpoint_url).get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def s3_backend(endpoint_url: str, bucket: str, prefix: str = "") -> StorageBackend:
    return backend_for(
        "s3", moto_fakes.s3_settings(endpoint_url, bucket, prefix), moto_fakes.s3_secrets()
    )


class TestS3:
    def test_it_deletes_exactly_one_key_as_a_file(self, moto_server: str, bucket: str) -> None:
        put_keys(moto_server, bucket, ["data/a.csv", "data/a.csv.bak", "data/a.csv/inner"])

        result = s3_backend(moto_server, bucket, "data").delete("a.csv", target="file")

        assert result == DeleteResult(deleted_count=1, paths_sample=["a.csv"])
        assert all_keys(moto_server, bucket) == ["data/a.csv.bak", "data/a.csv/inner"]

    def test_it_reports_a_missing_file(self, moto_server: str, bucket: str) -> None:
        backend = s3_backend(moto_server, bucket)

        with pytest.raises(StorageError, match=r"The file 'a\.csv' does not exist"):
            backend.delete("a.csv", target="file")
        assert backend.delete("a.csv", target="file", missing_ok=True) == DeleteResult(0, [])

    def test_it_deletes_a_folder_of_more_than_a_thousand_objects_in_batches(
        self, moto_server: str, bucket: str
    ) -> None:
        keys = [f"big/part-{index:05d}.csv" for index in range(2050)]
        put_keys(moto_server, bucket, [*keys, "big.csv", "bigger/keep.csv"])

        backend = s3_backend(moto_server, bucket)
        batch_sizes: list[int] = []
        backend.client.meta.events.register(  # type: ignore[attr-defined]
            "provide-client-params.s3.DeleteObjects",
            lambda params, **_: batch_sizes.append(len(params["Delete"]["Objects"])),
        )

        result = backend.delete("big", target="folder")

        assert result.deleted_count == 2050
        assert batch_sizes == [1000, 1000, 50]
        assert result.paths_sample[:2] == ["big/part-00000.csv", "big/part-00001.csv"]
        assert len(result.paths_sample) == 20
        assert all_keys(moto_server, bucket) == ["big.csv", "bigger/keep.csv"]

    def test_it_empties_the_prefix_root_but_keeps_the_bucket_and_other_prefixes(
        self, moto_server: str, bucket: str
    ) -> None:
        put_keys(moto_server, bucket, ["team/a.csv", "team/x/b.csv", "team-other/c.csv"])

        result = s3_backend(moto_server, bucket, "team/").delete("", target="folder")

        assert result.deleted_count == 2
        assert sorted(result.paths_sample) == ["a.csv", "x/b.csv"]
        assert all_keys(moto_server, bucket) == ["team-other/c.csv"]
        s3_client(moto_server).head_bucket(Bucket=bucket)

    def test_it_empties_a_bucket_without_prefix_and_an_empty_root_is_not_missing(
        self, moto_server: str, bucket: str
    ) -> None:
        put_keys(moto_server, bucket, ["a", "b/c"])
        backend = s3_backend(moto_server, bucket)

        assert backend.delete("", target="folder").deleted_count == 2
        assert backend.delete("", target="folder") == DeleteResult(0, [])
        assert all_keys(moto_server, bucket) == []

    def test_it_reports_a_missing_folder(self, moto_server: str, bucket: str) -> None:
        backend = s3_backend(moto_server, bucket)

        with pytest.raises(StorageError, match="The folder 'gone' does not exist"):
            backend.delete("gone", target="folder")
        assert backend.delete("gone", target="folder", missing_ok=True) == DeleteResult(0, [])

    def test_it_refuses_escaping_paths_before_calling_s3(
        self, moto_server: str, bucket: str
    ) -> None:
        put_keys(moto_server, bucket, ["other/secret.csv", "team/a.csv"])
        backend = s3_backend(moto_server, bucket, "team")

        with pytest.raises(PathEscapeError):
            backend.delete("../other", target="folder")
        with pytest.raises(PathEscapeError):
            backend.delete("/other/secret.csv", target="file")
        assert all_keys(moto_server, bucket) == ["other/secret.csv", "team/a.csv"]

    def test_it_names_a_missing_bucket_without_leaking_credentials(self, moto_server: str) -> None:
        backend = s3_backend(moto_server, "no-such-bucket-here")

        for call in (
            lambda: backend.delete("x", target="folder"),
            lambda: backend.delete("x.csv", target="file"),
            lambda: backend.delete("", target="folder"),
        ):
            with pytest.raises(StorageError, match="The bucket 'no-such-bucket-here' does not"):
                call()

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("AccessDenied", "Access denied to s3://b/team/x: check the connection's credentials"),
            ("InvalidAccessKeyId", "S3 rejected the connection's credentials"),
        ],
    )
    def test_it_explains_refused_credentials_without_leaking_them(
        self, http_peer: HttpPeer, code: str, message: str
    ) -> None:
        # moto accepts any credentials, so a recording peer plays an S3 that refuses them.
        http_peer.route(
            "/b",
            status=403,
            headers={"Content-Type": "application/xml"},
            body=f"<Error><Code>{code}</Code><Message>Refused</Message></Error>",
        )
        settings = {"bucket": "b", "prefix": "team", "endpointUrl": http_peer.base_url}

        backend = backend_for("s3", settings, moto_fakes.s3_secrets())
        with pytest.raises(StorageError, match=message) as caught:
            backend.delete("x", target="folder")

        assert not caught.value.retryable
        assert moto_fakes.SECRET_ACCESS_KEY not in str(caught.value)
        assert moto_fakes.ACCESS_KEY_ID not in str(caught.value)
        assert http_peer.requests[0].path.startswith("/b?list-type=2&prefix=team%2Fx%2F")

    def test_it_reports_an_unreachable_endpoint_as_retryable(self) -> None:
        backend = backend_for(
            "s3",
            {"bucket": "b", "region": "us-east-1", "endpointUrl": "http://127.0.0.1:9"},
            moto_fakes.s3_secrets(),
        )

        with pytest.raises(StorageError) as caught:
            backend.delete("x", target="folder")

        assert caught.value.retryable
        assert moto_fakes.SECRET_ACCESS_KEY not in str(caught.value)

    def test_it_says_whether_keys_and_folders_exist(self, moto_server: str, bucket: str) -> None:
        put_keys(moto_server, bucket, ["p/a.csv", "p/d/b.csv"])
        backend = s3_backend(moto_server, bucket, "p")

        assert backend.exists("")
        assert backend.exists("a.csv")
        assert backend.exists("d")
        assert not backend.exists("e")
        assert backend.list("") == ["a.csv", "d/b.csv"]
        assert backend.list("", limit=1) == ["a.csv"]
        assert backend.list("d") == ["d/b.csv"]
