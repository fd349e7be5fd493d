"""Opening uploads: what is accepted, and the files that are refused before anything else."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

import pytest

from packages.format import MAX_MEMBERS, PackageError
from packages.reading import read_package
from tests.packages.builders import zip_of

PLAN = {"formatVersion": 1, "name": "P", "tasks": []}


def refusal(data: bytes) -> dict[str, list[str]]:
    with pytest.raises(PackageError) as raised:
        read_package(data)
    return raised.value.errors


def test_it_reads_plan_json_and_the_flow_files() -> None:
    package = read_package(zip_of({"plan.json": PLAN, "flows/sales.json": {"name": "Sales"}}))

    assert package.plan == PLAN
    assert package.flows == {"sales": {"name": "Sales"}}


def test_it_reads_a_package_zipped_again_inside_a_folder() -> None:
    data = zip_of(
        {
            "nightly/plan.json": PLAN,
            "nightly/flows/sales.json": {"name": "Sales"},
            "__MACOSX/nightly/._plan.json": b"\x00\x05\x16\x07",
            "nightly/flows/sales.data": b"rows",
        }
    )

    package = read_package(data)

    assert package.plan == PLAN and package.flows == {"sales": {"name": "Sales"}}


def test_it_reads_a_plain_plan_json_with_or_without_a_byte_order_mark() -> None:
    assert read_package(json.dumps(PLAN).encode()).plan == PLAN
    assert read_package(b"\xef\xbb\xbf" + json.dumps(PLAN).encode()).plan == PLAN


@pytest.mark.parametrize(
    "name", ["../plan.json", "/etc/plan.json", "a/../../x.json", "a\\b.json", "C:/x.json"]
)
def test_it_refuses_member_names_that_climb_out_or_are_absolute(name: str) -> None:
    errors = refusal(zip_of({"plan.json": PLAN, name: {}}))

    assert errors == {"file": [f"Unsafe file name in the package: {name!r}."]}


def test_it_refuses_a_member_listed_twice() -> None:
    buffer = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plan.json", json.dumps(PLAN))
        archive.writestr("plan.json", json.dumps({**PLAN, "name": "Other"}))

    assert refusal(buffer.getvalue()) == {"file": ["The package lists 'plan.json' twice."]}


def test_it_refuses_a_zip_without_plan_json() -> None:
    assert refusal(zip_of({"flows/sales.json": {}})) == {
        "file": ["The package holds no plan.json."]
    }


def test_it_refuses_a_zip_bomb_by_its_declared_size(settings: Any) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 64 * 1024
    bomb = zip_of({"plan.json": PLAN, "flows/big.json": b" " * (10 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024

    assert refusal(bomb) == {
        "file": ["The unpacked package is larger than the limit of 65,536 bytes."]
    }


def test_it_refuses_a_member_that_unpacks_to_more_than_it_declares(settings: Any) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 64 * 1024
    data = bytearray(zip_of({"plan.json": b" " * (1024 * 1024)}))
    # Claim 10 bytes in the local header and the central directory.
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 10)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)

    errors = refusal(bytes(data))

    assert list(errors) == ["plan.json"] and "Cannot be unpacked" in errors["plan.json"][0]


def test_it_refuses_an_upload_over_the_limit(settings: Any) -> None:
    settings.PLAN_PACKAGE_MAX_BYTES = 1024

    errors = refusal(json.dumps({**PLAN, "description": "x" * 2000}).encode())

    assert errors == {"file": ["The file is larger than the limit of 1,024 bytes."]}


def test_it_refuses_too_many_members() -> None:
    files: dict[str, Any] = {"plan.json": PLAN}
    files.update({f"extra/{n}.txt": b"" for n in range(MAX_MEMBERS)})

    assert refusal(zip_of(files)) == {"file": [f"A package holds at most {MAX_MEMBERS} files."]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"hello", "Not a plan package: upload the exported .zip, or a plan.json."),
        (b"PK\x03\x04 not really a zip", "Not a valid ZIP file"),
    ],
)
def test_it_refuses_what_is_neither_a_zip_nor_json(data: bytes, message: str) -> None:
    assert refusal(data)["file"][0].startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            b'{"formatVersion": 1,',
            "Not valid JSON: Expecting property name enclosed in double quotes at line 1, column 21.",
        ),
        (b'{"formatVersion": NaN}', "Not valid JSON: NaN is not allowed in JSON."),
        (b'{"name": "a\\u0000b"}', "Null characters are not allowed."),
        (b"[1, 2]", "Must be a JSON object."),
        (b'{"name": "\xff"}', "Not UTF-8 text."),
    ],
)
def test_it_refuses_a_plan_json_that_is_not_a_json_object(text: bytes, message: str) -> None:
    assert refusal(zip_of({"plan.json": text})) == {"plan.json": [message]}


def test_it_refuses_a_flow_file_named_outside_the_pattern() -> None:
    errors = refusal(zip_of({"plan.json": PLAN, "flows/my.flow.json": {}}))

    assert list(errors) == ["flows/my.flow.json"]
