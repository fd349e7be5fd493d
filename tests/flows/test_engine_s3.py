"""S3 datasets and outputs against a real moto server on 127.0.0.1."""

from __future__ import annotations

import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest

from flows.engine import FlowCanceled, FlowError, FlowSpec, StorageLocation, run_flow
from flows.engine.limits import Stopper
from flows.engine.storage import s3_inputs
from tests.fakes.moto import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, moto_server
from tests.flows.conftest import SALES_CSV, flow_dict
from tests.flows.test_engine_stopping import SLOW_QUERY

__all__ = ["moto_server"]


@pytest.fixture
def bucket(moto_server: str) -> tuple[Any, dict[str, Any]]:
    """A fresh bucket: its boto3 client and the storage location (prefix "team") to reach it."""
    name = f"flows-{uuid.uuid4().hex[:10]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )
    client.create_bucket(Bucket=name)
    location = {
        "kind": "s3",
        "bucket": name,
        "prefix": "team",
        "endpoint_url": moto_server,
        "region": REGION,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
    }
    return client, location


def test_it_reads_an_s3_dataset_and_writes_an_s3_output(
    root: Path, bucket: tuple[Any, dict[str, Any]]
) -> None:
    client, location = bucket
    client.put_object(
        Bucket=location["bucket"], Key="team/in/2024/sales.csv", Body=SALES_CSV.encode()
    )
    spec = flow_dict(
        root,
        [{"kind": "aggregate", "group_by": ["region"], "measures": [{"name": "n", "fn": "count"}]}],
        parameters=[{"name": "year", "type": "string", "value": "2024"}],
    )
    spec["datasets"][0].update(location=location, path="in/{year}/sales.csv")
    spec["outputs"][0].update(
        location=location, path="out/{year}/by_region.parquet", format="parquet"
    )
    (result,) = run_flow(FlowSpec.from_dict(spec), outputs=None, parameters={}, run_id=3, log=print)
    key = "team/out/2024/by_region.parquet"
    assert result.path == f"s3://{location['bucket']}/{key}"
    body = client.get_object(Bucket=location["bucket"], Key=key)["Body"].read()
    assert len(body) == result.size_bytes
    with tempfile.NamedTemporaryFile(suffix=".parquet") as downloaded:
        downloaded.write(body)
        downloaded.flush()
        rows = duckdb.sql(
            f"SELECT region, n FROM read_parquet('{downloaded.name}') ORDER BY region"
        )
        assert rows.fetchall() == [("eu", 4), ("us", 2)]


def test_s3_wildcards_append_and_missing_keys(
    root: Path, bucket: tuple[Any, dict[str, Any]]
) -> None:
    client, location = bucket
    for part in ("a", "b"):
        client.put_object(
            Bucket=location["bucket"], Key=f"team/in/{part}/sales.csv", Body=SALES_CSV.encode()
        )
    client.put_object(Bucket=location["bucket"], Key="team/in/notes.txt", Body=b"not data")
    spec = flow_dict(root, [{"kind": "select", "columns": ["id"]}])
    spec["datasets"][0].update(location=location, path="in/*/sales.csv")
    spec["outputs"][0].update(location=location, path="out/ids.csv", mode="append")
    flow = FlowSpec.from_dict(spec)
    first, second = (
        run_flow(flow, outputs=None, parameters={}, run_id=n, log=print)[0] for n in (1, 2)
    )
    assert first.row_count == second.row_count == 12
    text = (
        client.get_object(Bucket=location["bucket"], Key="team/out/ids.csv")["Body"].read().decode()
    )
    assert text.splitlines()[0] == "id" and len(text.splitlines()) == 25

    spec["datasets"][0]["path"] = "in/c/sales.csv"
    with pytest.raises(FlowError, match=f"s3://{location['bucket']}/team/in/c/sales.csv"):
        run_flow(FlowSpec.from_dict(spec), outputs=None, parameters={}, run_id=1, log=print)


class SetAfter(threading.Event):
    """A cancel event that reads as set from its `n`-th look on (to cancel mid-download)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.looks, self.n = 0, n

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks >= self.n


def test_a_cancel_stops_an_s3_download_between_chunks(
    tmp_path: Path, bucket: tuple[Any, dict[str, Any]]
) -> None:
    client, location = bucket
    client.put_object(Bucket=location["bucket"], Key="team/in/big.csv", Body=b"x\n" * 4_000_000)
    # The first look is before the download starts; the second is the first chunk's callback.
    stopper = Stopper(SetAfter(2), None)

    with pytest.raises(FlowCanceled):
        s3_inputs(StorageLocation.from_dict(location), "in/big.csv", tmp_path, "Dataset", stopper)

    assert stopper.cancel is not None and stopper.cancel.looks == 2  # type: ignore[attr-defined]


def test_a_canceled_run_uploads_no_s3_output(
    root: Path, bucket: tuple[Any, dict[str, Any]]
) -> None:
    client, location = bucket
    spec = flow_dict(root, [{"kind": "sql", "query": SLOW_QUERY}])
    spec["outputs"][0].update(location=location, path="out/count.csv")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()

    with pytest.raises(FlowCanceled):
        run_flow(
            FlowSpec.from_dict(spec),
            outputs=None,
            parameters={},
            run_id=1,
            log=print,
            cancel=cancel,
        )

    assert client.list_objects_v2(Bucket=location["bucket"]).get("KeyCount") == 0
