"""The recording HTTP peer and the X-Plans-Signature receiver recipe."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.fakes import fixtures
from tests.fakes.http_server import (
    HttpPeer,
    signature_for,
    signed_headers,
    verify_signature,
)

http_peer = fixtures.http_peer

SECRET = "whsec-shared"
BODY = b'{"run": 42, "status": "succeeded"}'


def test_it_accepts_a_good_signature() -> None:
    headers = signed_headers(SECRET, BODY)

    assert verify_signature(SECRET, headers, BODY)


def test_it_reads_headers_whatever_their_case() -> None:
    headers = {name.lower(): value for name, value in signed_headers(SECRET, BODY).items()}

    assert verify_signature(SECRET, headers, BODY)


def test_it_computes_the_documented_hmac() -> None:
    # From `printf '1700000000.{}' | openssl dgst -sha256 -hmac k`: key "k", timestamp, ".", body.
    expected = "sha256=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146"

    assert signature_for("k", "1700000000", b"{}") == expected


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, "X-Plans-Signature": "sha256=" + "0" * 64}, b),
        lambda h, b: ({**h, "X-Plans-Timestamp": str(int(h["X-Plans-Timestamp"]) + 1)}, b),
        lambda h, b: ({"X-Plans-Timestamp": h["X-Plans-Timestamp"]}, b),
        lambda h, b: ({**h, "X-Plans-Timestamp": "soon"}, b),
        lambda h, b: ({}, b),
    ],
    ids=["body", "signature", "timestamp", "no-signature", "bad-timestamp", "no-headers"],
)
def test_it_rejects_a_tampered_request(tamper) -> None:
    headers, body = tamper(signed_headers(SECRET, BODY), BODY)

    assert not verify_signature(SECRET, headers, body)


def test_it_rejects_another_secret() -> None:
    assert not verify_signature("other", signed_headers(SECRET, BODY), BODY)


def test_it_rejects_a_stale_or_future_timestamp() -> None:
    now = time.time()
    stale = signed_headers(SECRET, BODY, timestamp=int(now) - 301)
    future = signed_headers(SECRET, BODY, timestamp=int(now) + 301)

    assert not verify_signature(SECRET, stale, BODY, now=now)
    assert not verify_signature(SECRET, future, BODY, now=now)
    assert verify_signature(SECRET, stale, BODY, tolerance_s=400, now=now)


def test_it_records_method_path_headers_body_and_times(http_peer: HttpPeer) -> None:
    http_peer.route("/hook", status=201, headers={"X-Answer": "yes"}, body="created")
    before = time.monotonic()
    request = urllib.request.Request(
        http_peer.url("/hook?x=1"), data=BODY, method="POST", headers=signed_headers(SECRET, BODY)
    )

    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201
        assert response.headers["X-Answer"] == "yes"
        assert response.read() == b"created"

    [recorded] = http_peer.requests_to("/hook")
    assert (recorded.method, recorded.path, recorded.body) == ("POST", "/hook?x=1", BODY)
    assert verify_signature(SECRET, recorded.headers, recorded.body)
    assert recorded.responded_monotonic is not None
    assert before <= recorded.arrived_monotonic <= recorded.responded_monotonic
    assert abs(recorded.arrived_time - time.time()) < 5
    assert recorded.status == 201


def test_it_answers_404_to_an_unknown_path(http_peer: HttpPeer) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(http_peer.url("/nowhere"), timeout=5)

    assert caught.value.code == 404
    assert len(http_peer.requests) == 1


def test_it_uses_limited_routes_up_then_the_next(http_peer: HttpPeer) -> None:
    http_peer.route("/flaky", status=503, times=2)
    http_peer.route("/flaky", status=200, body="ok")

    statuses = []
    for _ in range(4):
        try:
            with urllib.request.urlopen(http_peer.url("/flaky"), timeout=5) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    assert statuses == [503, 503, 200, 200]


def test_it_holds_an_answer_without_blocking_other_requests(http_peer: HttpPeer) -> None:
    http_peer.route("/slow", hold_s=0.6)
    http_peer.route("/fast")
    slow = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import urllib.request; urllib.request.urlopen({http_peer.url('/slow')!r})",
        ]
    )
    http_peer.wait_for_requests(1)

    with urllib.request.urlopen(http_peer.url("/fast"), timeout=5):
        pass
    assert slow.wait(timeout=10) == 0

    fast, held = http_peer.requests_to("/fast")[0], http_peer.requests_to("/slow")[0]
    assert fast.responded_monotonic is not None
    assert held.responded_monotonic is not None
    assert held.responded_monotonic - held.arrived_monotonic >= 0.6
    assert fast.responded_monotonic < held.responded_monotonic


def test_it_records_requests_from_another_process(http_peer: HttpPeer) -> None:
    http_peer.route("/from-worker", body="ok")
    code = (
        "import urllib.request;"
        f"urllib.request.urlopen(urllib.request.Request({http_peer.url('/from-worker')!r},"
        " data=b'payload', method='PUT'))"
    )

    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)

    [recorded] = http_peer.wait_for_requests(1)
    assert (recorded.method, recorded.body, recorded.status) == ("PUT", b"payload", 200)


def test_it_waits_for_requests_and_times_out_clearly(http_peer: HttpPeer) -> None:
    with pytest.raises(TimeoutError, match="Expected 1 request"):
        http_peer.wait_for_requests(1, timeout=0.2)
