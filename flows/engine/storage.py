"""Files in and out: local roots read in place, S3 through boto3 and the run's work folder.

DuckDB reads and writes only local files during a run: the wheel does not bundle the httpfs
extension and extensions cannot be downloaded here, and a run's connection has external access
switched off with an explicit allow-list of paths. So S3 inputs are downloaded into the run's
work folder first and S3 outputs are written there and uploaded afterwards (one PUT each; S3 has
no append, so append downloads the object, appends and uploads it whole).

Every user path goes through `connections.storage.paths` (no absolute paths, no `..` out of the
root, no symlink out of a local root) after parameter placeholders are rendered.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from connections.storage.paths import PathEscapeError, clean_relative, join_key, resolve_within
from flows.engine.errors import FlowError
from flows.engine.limits import Stopper
from flows.engine.spec import StorageLocation

_GLOB_CHARS = set("*?[")


def has_wildcards(path: str) -> bool:
    return any(char in _GLOB_CHARS for char in path)


def safe_relative(path: str, what: str) -> str:
    """`clean_relative` with its error turned into a FlowError naming `what`."""
    try:
        relative = clean_relative(path)
    except PathEscapeError as error:
        raise FlowError(f"{what}: {error}") from None
    if not relative:
        raise FlowError(f"{what}: the path names the root folder, not a file.")
    return relative


def s3_client(location: StorageLocation) -> Any:
    """A boto3 S3 client for `location` (its endpoint, region and credentials when given)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        aws_session_token=location.session_token,
    )


def s3_display(location: StorageLocation, key: str) -> str:
    return f"s3://{location.bucket}/{key}"


def _s3_error(error: Exception, what: str, where: str) -> FlowError:
    return FlowError(f"{what}: S3 refused access to {where}: {error}")


def local_inputs(location: StorageLocation, path: str, what: str) -> list[Path]:
    """The files `path` (wildcards allowed) names under a local root, sorted; at least one."""
    relative = safe_relative(path, what)
    root = Path(location.root)
    if not root.is_dir():
        raise FlowError(f"{what}: the storage folder {location.root} does not exist.")
    if has_wildcards(relative):
        candidates = [p for p in root.glob(relative) if p.is_file()]
        if not candidates:
            raise FlowError(f"{what}: no file matches {relative!r}.")
    else:
        candidates = [root / relative]
    files = []
    for candidate in sorted(candidates):
        try:
            inside = resolve_within(root, candidate.relative_to(root).as_posix())
        except PathEscapeError as error:
            raise FlowError(f"{what}: {error}") from None
        if not inside.is_file():
            raise FlowError(f"{what}: the input file {relative!r} does not exist.")
        files.append(inside.resolve())
    return files


def _key_regex(pattern: str) -> re.Pattern[str]:
    """Glob to regex for S3 keys: `*` and `?` stay within one segment, `**` crosses segments."""
    parts = []
    for token in re.split(r"(\*\*/?|\*|\?)", pattern):
        if token in ("**", "**/"):
            parts.append("(?:.*/)?" if token == "**/" else ".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts) + r"\Z")


def s3_inputs(
    location: StorageLocation, path: str, work: Path, what: str, stopper: Stopper
) -> list[Path]:
    """Download the objects `path` (wildcards allowed) names into `work`; return the local files.

    A download stops (FlowCanceled / FlowTimedOut) as soon as `stopper` says so: boto3 calls
    the progress callback for every chunk received."""
    relative = safe_relative(path, what)
    key_pattern = join_key(location.prefix, relative)
    client = s3_client(location)
    try:
        if has_wildcards(key_pattern):
            literal = re.split(r"[*?\[]", key_pattern, maxsplit=1)[0]
            listing_prefix = literal[: literal.rfind("/") + 1]
            matcher = _key_regex(key_pattern) if "[" not in key_pattern else None
            keys = []
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=location.bucket, Prefix=listing_prefix):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    matched = (
                        matcher.match(key) if matcher else fnmatch.fnmatchcase(key, key_pattern)
                    )
                    if matched and not key.endswith("/"):
                        keys.append(key)
            if not keys:
                where = s3_display(location, key_pattern)
                raise FlowError(f"{what}: no object matches {where}.")
        else:
            keys = [key_pattern]
        files = []
        for index, key in enumerate(sorted(keys)):
            # The index keeps two keys with the same file name apart.
            target = work / f"{index:05d}-{PurePosixPath(key).name}"
            stopper.check()
            try:
                client.download_file(
                    location.bucket, key, str(target), Callback=lambda _bytes: stopper.check()
                )
            except client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    where = s3_display(location, key)
                    raise FlowError(f"{what}: the input file {where} does not exist.") from None
                raise
            files.append(target)
        return files
    except FlowError:
        raise
    except Exception as error:
        raise _s3_error(error, what, s3_display(location, key_pattern)) from None


@dataclass
class OutputTarget:
    """Where one output lands: `display` is what users see (relative path or s3://bucket/key).

    `staging` is the file DuckDB writes in the run's work folder; `existing` is a local copy of
    the current file for append mode (None when there is none yet).
    """

    location: StorageLocation
    display: str
    local_path: Path | None
    key: str | None
    staging: Path
    existing: Path | None = None


def _unique_name(relative: str, run_id: str, exists: Any) -> str:
    stem, suffix = PurePosixPath(relative).stem, PurePosixPath(relative).suffix
    parent = str(PurePosixPath(relative).parent)
    while True:
        name = f"{stem}-{run_id}-{uuid.uuid4().hex[:8]}{suffix}"
        candidate = name if parent == "." else f"{parent}/{name}"
        if not exists(candidate):
            return candidate


def plan_output(
    location: StorageLocation, path: str, mode: str, run_id: str, work: Path, what: str
) -> OutputTarget:
    """Decide the destination of an output, fetching the current file when appending."""
    relative = safe_relative(path, what)
    staging = work / f"out-{uuid.uuid4().hex}{PurePosixPath(relative).suffix}"
    if location.kind == "local":
        root = Path(location.root)

        def local_exists(candidate: str) -> bool:
            return (root / candidate).exists()

        if mode == "new file":
            relative = _unique_name(relative, run_id, local_exists)
        try:
            destination = resolve_within(root, relative)
        except PathEscapeError as error:
            raise FlowError(f"{what}: {error}") from None
        if destination.is_dir():
            raise FlowError(f"{what}: {relative!r} is a folder, not a file.")
        existing = destination if mode == "append" and destination.is_file() else None
        return OutputTarget(location, relative, destination, None, staging, existing)
    client = s3_client(location)

    def s3_exists(candidate: str) -> bool:
        try:
            client.head_object(Bucket=location.bucket, Key=join_key(location.prefix, candidate))
        except client.exceptions.ClientError:
            return False
        return True

    try:
        if mode == "new file":
            relative = _unique_name(relative, run_id, s3_exists)
        key = join_key(location.prefix, relative)
        existing = None
        if mode == "append" and s3_exists(relative):
            existing = work / f"existing-{uuid.uuid4().hex}{PurePosixPath(relative).suffix}"
            client.download_file(location.bucket, key, str(existing))
    except Exception as error:
        raise _s3_error(error, what, s3_display(location, relative)) from None
    return OutputTarget(location, s3_display(location, key), None, key, staging, existing)


def publish_all(items: list[tuple[OutputTarget, Path, str]], stopper: Stopper) -> list[int]:
    """Put each complete staged file (`final`) at its target; return the published sizes.

    No reader ever sees a partial file, and a run that must stop publishes nothing:
    1. local files are copied beside their destination under a hidden name
       (`.<name>.<hex>.part`), checking the stopper between files;
    2. a last stopper check; from here on the run is committing and is no longer stopped;
    3. S3 files are uploaded (S3 shows an object only once its upload completed);
    4. the local copies are renamed into place (a rename replaces the old file atomically).
    A failure in 1-3 removes the hidden copies, so no local output is published. Objects
    uploaded before a failing upload stay (S3 has no multi-object transaction).
    """
    parts: list[Path | None] = []
    try:
        for target, final, _what in items:
            stopper.check()
            if target.local_path is None:
                parts.append(None)
                continue
            target.local_path.parent.mkdir(parents=True, exist_ok=True)
            part = target.local_path.with_name(f".{target.local_path.name}.{uuid.uuid4().hex}.part")
            parts.append(part)
            shutil.copyfile(final, part)
        stopper.check()
        for target, final, what in items:
            if target.local_path is None:
                _upload(target, final, what)
    except BaseException:
        for part in parts:
            if part is not None:
                part.unlink(missing_ok=True)
        raise
    sizes = []
    for (target, final, _what), part in zip(items, parts, strict=True):
        if part is not None and target.local_path is not None:
            part.replace(target.local_path)
        sizes.append(final.stat().st_size)
    return sizes


def _upload(target: OutputTarget, final: Path, what: str) -> None:
    client = s3_client(target.location)
    try:
        client.upload_file(str(final), target.location.bucket, target.key)
    except Exception as error:
        raise _s3_error(error, what, target.display) from None


def append_text_rows(
    existing: Path, new_rows: Path, into: Path, *, header: bool, what: str
) -> None:
    """Write `existing` followed by the rows of `new_rows` (its header line dropped) to `into`."""
    with existing.open("rb") as old, new_rows.open("rb") as new, into.open("wb") as out:
        if header:
            old_header, new_header = old.readline(), new.readline()
            if old_header.rstrip(b"\r\n") != new_header.rstrip(b"\r\n"):
                raise FlowError(
                    f"{what}: cannot append, the file's columns ({_line(old_header)}) differ "
                    f"from this run's ({_line(new_header)})."
                )
            out.write(old_header)
        shutil.copyfileobj(old, out)
        if existing.stat().st_size and not _ends_with_newline(existing):
            out.write(b"\n")
        shutil.copyfileobj(new, out)


def _line(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"
