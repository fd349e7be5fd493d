"""Opening an uploaded package: a ZIP (plan.json + flows/<key>.json) or a plain plan.json.

Nothing here touches the disk or the database. The upload and the sum of the members' sizes
are bounded by the PLAN_PACKAGE_MAX_BYTES setting, and each member is read with that bound
too (a ZIP's declared sizes may lie), so a zip bomb costs at most that much memory. Member
names that are absolute or climb out (`../`) are refused even though nothing is extracted:
such a package was made to attack something.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from packages.format import (
    FLOW_KEY,
    FLOWS_FOLDER,
    MAX_MEMBERS,
    PLAN_MEMBER,
    PackageError,
)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Folders some archivers add when a package is unzipped and zipped again.
_IGNORED_PREFIXES = ("__MACOSX/",)


@dataclass
class ReadPackage:
    """What an upload holds: plan.json's object and each flow file's object by key."""

    plan: dict[str, Any]
    flows: dict[str, Any] = field(default_factory=dict)


def max_package_bytes() -> int:
    """The largest upload, and the largest sum of unpacked members, accepted."""
    return int(settings.PLAN_PACKAGE_MAX_BYTES)


def _too_large(what: str, limit: int) -> PackageError:
    return PackageError({"file": [f"{what} is larger than the limit of {limit:,} bytes."]})


def parse_json(raw: bytes, where: str) -> Any:
    """Parse one package file; PackageError keyed by `where` when it is not UTF-8 JSON.

    NaN and Infinity are refused (PostgreSQL's jsonb cannot store them), and so are NUL
    characters (no text column can).
    """

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not allowed in JSON")

    try:
        text = raw.decode("utf-8-sig")
        value = json.loads(text, parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise PackageError({where: ["Not UTF-8 text."]}) from None
    except json.JSONDecodeError as error:
        raise PackageError(
            {where: [f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."]}
        ) from None
    except (ValueError, RecursionError) as error:
        message = str(error) if isinstance(error, ValueError) else "nested too deeply"
        raise PackageError({where: [f"Not valid JSON: {message}."]}) from None
    if "\\u0000" in text and _holds_nul(value):
        raise PackageError({where: ["Null characters are not allowed."]})
    return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _unsafe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or ".." in parts
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
    )


def _root_folder(names: list[str]) -> str:
    """The folder plan.json is in: "" normally, or the one folder a re-zipped package wraps
    everything in (`nightly/plan.json`). PackageError when there is no single plan.json."""
    if PLAN_MEMBER in names:
        return ""
    nested = [n for n in names if n.endswith(f"/{PLAN_MEMBER}") and n.count("/") == 1]
    if len(nested) == 1:
        return nested[0][: -len(PLAN_MEMBER)]
    raise PackageError({"file": [f"The package holds no {PLAN_MEMBER}."]})


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise PackageError({info.filename: [f"Cannot be unpacked: {error}"]}) from None
    except NotImplementedError:
        raise PackageError(
            {info.filename: ["Uses a compression method this server does not read."]}
        ) from None
    if len(data) > budget:
        raise _too_large("The unpacked package", max_package_bytes())
    return data


def _read_zip(data: bytes) -> ReadPackage:
    limit = max_package_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise PackageError({"file": [f"Not a valid ZIP file: {error}"]}) from None
    if len(infos) > MAX_MEMBERS:
        raise PackageError({"file": [f"A package holds at most {MAX_MEMBERS} files."]})
    names = [info.filename for info in infos]
    for name in names:
        if _unsafe_name(name):
            raise PackageError({"file": [f"Unsafe file name in the package: {name!r}."]})
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PackageError({"file": [f"The package lists {duplicates[0]!r} twice."]})
    if sum(info.file_size for info in infos) > limit:
        raise _too_large("The unpacked package", limit)
    root = _root_folder(names)
    wanted: dict[str, str] = {}  # member name -> "plan" or a flow key
    for info in infos:
        name = info.filename
        if info.is_dir() or not name.startswith(root) or name.startswith(_IGNORED_PREFIXES):
            continue
        inner = name[len(root) :]
        if inner == PLAN_MEMBER:
            wanted[name] = ""
        elif inner.startswith(FLOWS_FOLDER) and inner.endswith(".json"):
            key = inner[len(FLOWS_FOLDER) : -len(".json")]
            if not FLOW_KEY.match(key):
                raise PackageError(
                    {inner: ["A flow file is named flows/<key>.json; use letters, digits, _ or -."]}
                )
            wanted[name] = key
    budget = limit
    package = ReadPackage(plan={})
    for info in infos:
        if info.filename not in wanted:
            continue
        if info.flag_bits & 0x1:
            raise PackageError({info.filename: ["Encrypted files are not supported."]})
        raw = _read_member(archive, info, budget)
        budget -= len(raw)
        inner = info.filename[len(root) :]
        value = parse_json(raw, inner)
        if wanted[info.filename]:
            package.flows[wanted[info.filename]] = value
        else:
            package.plan = _plan_object(value)
    return package


def _plan_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PackageError({PLAN_MEMBER: ["Must be a JSON object."]})
    return value


def read_package(data: bytes) -> ReadPackage:
    """Open an upload: ZIP bytes, or the bytes of a plain plan.json.

    Raises PackageError when the upload is empty, too large, neither a ZIP nor JSON, a ZIP
    with an unsafe or repeated member name or no plan.json, or holds a file that is not JSON.
    """
    limit = max_package_bytes()
    if not data:
        raise PackageError({"file": ["The file is empty."]})
    if len(data) > limit:
        raise _too_large("The file", limit)
    if data[:4] in _ZIP_MAGIC:
        return _read_zip(data)
    if data.lstrip()[:1] in (b"{", b"\xef"):
        return ReadPackage(plan=_plan_object(parse_json(data, PLAN_MEMBER)))
    raise PackageError(
        {"file": [f"Not a plan package: upload the exported .zip, or a {PLAN_MEMBER}."]}
    )
