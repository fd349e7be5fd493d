"""An S3 bucket (optionally under a key prefix) as a storage connection, through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from connections.storage.base import SAMPLE_SIZE, DeleteResult, DeleteTarget, StorageError
from connections.storage.paths import join_key

# delete_objects takes at most 1000 keys per call; list_objects_v2 returns at most 1000 per page.
BATCH_SIZE = 1000

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_DENIED_CODES = {"403", "AccessDenied", "AllAccessDisabled"}
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
}
_PASSING_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Backend:
    """Objects in `bucket` under `prefix`; the prefix is the connection's root.

    A "folder" is every key under `<key>/`. Deleting the root empties the prefix (or the whole
    bucket when there is no prefix) and never deletes the bucket. Error messages name the bucket
    and the path, never the credentials.
    """

    def __init__(self, *, bucket: str, prefix: str = "", client: Any) -> None:
        if not bucket:
            raise StorageError("The S3 connection has no bucket.")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    @classmethod
    def from_settings(cls, settings: dict[str, Any], secrets: dict[str, Any]) -> S3Backend:
        """Build from a connection's settings {"bucket", "prefix", "region", "endpointUrl"} and
        secrets {"accessKeyId", "secretAccessKey", "sessionToken"?}.

        Without an access key, boto3's own credential chain (environment, instance role) is used.
        """
        credentials: dict[str, str | None] = {}
        if secrets.get("accessKeyId"):
            credentials = {
                "aws_access_key_id": secrets["accessKeyId"],
                "aws_secret_access_key": secrets.get("secretAccessKey") or None,
                "aws_session_token": secrets.get("sessionToken") or None,
            }
        client = boto3.client(
            "s3",
            region_name=settings.get("region") or None,
            endpoint_url=settings.get("endpointUrl") or None,
            **credentials,
            config=Config(
                connect_timeout=10,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        return cls(
            bucket=settings.get("bucket", ""), prefix=settings.get("prefix", ""), client=client
        )

    def _relative(self, key: str) -> str:
        if not self.prefix:
            return key
        return key[len(self.prefix) + 1 :] if key.startswith(self.prefix + "/") else ""

    def _folder_prefix(self, key: str) -> str:
        return f"{key}/" if key else ""

    def _error(self, error: Exception, path: str) -> StorageError:
        """Turn a boto error into a StorageError whose message is safe to show and to log."""
        where = f"s3://{self.bucket}/{join_key(self.prefix, path)}"
        if isinstance(error, EndpointConnectionError):
            return StorageError(f"Could not reach the S3 endpoint for {where}.", retryable=True)
        if isinstance(error, ClientError):
            code = _code(error)
            if code == "NoSuchBucket":
                return StorageError(f"The bucket {self.bucket!r} does not exist.")
            if code in _DENIED_CODES:
                return StorageError(
                    f"Access denied to {where}: check the connection's credentials and that they "
                    "allow s3:ListBucket, s3:GetObject and s3:DeleteObject."
                )
            if code in _CREDENTIAL_CODES:
                return StorageError(
                    f"S3 rejected the connection's credentials ({code}) for bucket {self.bucket!r}."
                )
            return StorageError(
                f"S3 refused the operation on {where} ({code or 'unknown error'}).",
                retryable=code in _PASSING_CODES,
            )
        # Other botocore errors (timeouts, missing credentials) carry no secret in their text.
        return StorageError(f"S3 operation on {where} failed: {error}", retryable=True)

    def _keys(self, prefix: str, page_size: int = BATCH_SIZE) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def _check_bucket(self) -> None:
        """Raise a clear StorageError when the bucket is missing (head_bucket only says 404)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                raise StorageError(f"The bucket {self.bucket!r} does not exist.") from error
            raise

    def _object_exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                # A missing bucket also answers 404 here; tell it apart from a missing key.
                self._check_bucket()
                return False
            raise
        return True

    def delete(self, path: str, *, target: DeleteTarget, missing_ok: bool = False) -> DeleteResult:
        """Delete one key (`target="file"`) or every key under `<key>/` (`target="folder"`).

        A file is checked with head_object first, so a missing key is reported rather than
        silently "deleted". A folder is listed page by page and deleted in batches of 1000.
        """
        key = join_key(self.prefix, path)
        try:
            if target == "file":
                return self._delete_file(key, path, missing_ok=missing_ok)
            return self._delete_folder(key, path, missing_ok=missing_ok)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, path) from error

    def _delete_file(self, key: str, path: str, *, missing_ok: bool) -> DeleteResult:
        if key == self.prefix:
            raise StorageError("The root is a folder, not a file: delete it as a folder.")
        if not self._object_exists(key):
            if missing_ok:
                return DeleteResult(deleted_count=0, paths_sample=[])
            raise StorageError(f"The file {path!r} does not exist.")
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return DeleteResult(deleted_count=1, paths_sample=[self._relative(key)])

    def _delete_folder(self, key: str, path: str, *, missing_ok: bool) -> DeleteResult:
        is_root = key == self.prefix
        if is_root:
            # The root always exists with its bucket: check the bucket so that is reported.
            self._check_bucket()
        count = 0
        sample: list[str] = []
        batch: list[str] = []
        # Keys are deleted while the listing goes on: list_objects_v2 continues after the last
        # key it returned, so removing keys already listed does not make it skip any.
        for found in self._keys(self._folder_prefix(key)):
            batch.append(found)
            if len(batch) == BATCH_SIZE:
                count += self._delete_batch(batch, sample)
                batch = []
        if batch:
            count += self._delete_batch(batch, sample)
        if count == 0 and not is_root and not missing_ok:
            raise StorageError(f"The folder {path!r} does not exist.")
        return DeleteResult(deleted_count=count, paths_sample=sample)

    def _delete_batch(self, keys: list[str], sample: list[str]) -> int:
        response = self.client.delete_objects(
            Bucket=self.bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise StorageError(
                f"S3 did not delete {len(errors)} of {len(keys)} objects; first: "
                f"{self._relative(first.get('Key', ''))!r} ({first.get('Code', 'unknown error')}).",
                retryable=first.get("Code") in _PASSING_CODES,
            )
        for key in keys[: max(0, SAMPLE_SIZE - len(sample))]:
            sample.append(self._relative(key))
        return len(keys)

    def exists(self, path: str) -> bool:
        """Whether the key exists or any key lies under `<key>/`.

        The root exists with its bucket; a missing bucket raises StorageError for every path.
        """
        key = join_key(self.prefix, path)
        try:
            if key == self.prefix:
                self._check_bucket()
                return True
            if self._object_exists(key):
                return True
            listed = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self._folder_prefix(key), MaxKeys=1
            )
            return bool(listed.get("KeyCount") or listed.get("Contents"))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, path) from error

    def list(self, path: str = "", limit: int = 100) -> list[str]:
        """Up to `limit` keys at or under `path`, relative to the prefix, in key order."""
        key = join_key(self.prefix, path)
        found: list[str] = []
        try:
            if key != self.prefix and self._object_exists(key):
                found.append(self._relative(key))
            for item in self._keys(self._folder_prefix(key), page_size=min(limit, BATCH_SIZE) or 1):
                if len(found) >= limit:
                    break
                found.append(self._relative(item))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, path) from error
        return found[:limit]
