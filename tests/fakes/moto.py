"""A real S3 endpoint for tests: moto's server in a subprocess on 127.0.0.1.

A subprocess rather than moto's in-process mock so that boto3 (ours, or a Celery worker's in
another process) talks HTTP to a socket exactly as it would to S3 or MinIO.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fakes._net import free_port, wait_for_http

# moto accepts any credentials; these only have to look like some.
ACCESS_KEY_ID = "testing-access-key"
SECRET_ACCESS_KEY = "testing-secret-key"
REGION = "us-east-1"


def _moto_server_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("moto_server")
    if beside_python.exists():
        return [str(beside_python)]
    return [sys.executable, "-m", "moto.server"]


@contextmanager
def running_moto_server() -> Iterator[str]:
    """Start moto_server on a free loopback port; yield its endpoint URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [*_moto_server_command(), "-p", str(port), "-H", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/moto-api/")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reset_moto(url: str) -> None:
    """Forget every bucket and object the server holds."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL (http://127.0.0.1:PORT) of one moto server shared by the whole session.

    Tests should use their own bucket names (or call `reset_moto`) since the server is shared.
    """
    with running_moto_server() as url:
        yield url


def s3_settings(endpoint_url: str, bucket: str, prefix: str = "") -> dict[str, str]:
    """Connection settings for an S3 storage connection pointing at the moto server."""
    return {"bucket": bucket, "prefix": prefix, "region": REGION, "endpointUrl": endpoint_url}


def s3_secrets() -> dict[str, str]:
    """Connection secrets moto accepts."""
    return {"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY}
