"""A recording HTTP peer for HTTP-task tests, and the receiver's signature check.

The server is a real socket on 127.0.0.1, so requests may come from another process (a Celery
worker); the record lives in the test process. Times are taken with both clocks:
`time.monotonic()` (CLOCK_MONOTONIC, comparable across processes on this machine) for
durations and ordering, `time.time()` for comparing with timestamps a sender wrote.

Signature scheme (what a receiver of Plans' HTTP calls checks): the sender adds
`X-Plans-Timestamp: <Unix seconds>` and
`X-Plans-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body bytes)>`.
`verify_signature` is the reference recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TIMESTAMP_HEADER = "X-Plans-Timestamp"
SIGNATURE_HEADER = "X-Plans-Signature"


def _header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    """Case-insensitive header look-up for a plain dict or an email/http.client message."""
    value = headers.get(name)
    if value is not None:
        return str(value)
    lowered = name.lower()
    for key, found in headers.items():
        if key.lower() == lowered:
            return str(found)
    return None


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Plans-Signature value for `body` sent at `timestamp` (decimal Unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a sender adds to sign `body` (for testing receivers)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature_for(secret, stamp, body)}


def verify_signature(
    secret: str,
    headers: Mapping[str, str] | Any,
    body: bytes,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether `body` was signed with `secret` less than `tolerance_s` seconds from now.

    Receiver recipe: read X-Plans-Timestamp (integer Unix seconds) and refuse it if it is further
    than the tolerance from your clock (stops replays); compute HMAC-SHA256 with the shared secret
    over the timestamp exactly as sent, a ".", then the raw body bytes (before any JSON parsing);
    compare its hex digest with X-Plans-Signature after "sha256=" in constant time.
    """
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature_for(secret, timestamp, body), signature.strip())


@dataclass
class Route:
    """How the peer answers a path. `times` None answers forever; N answers N requests and is
    then used up, letting the next route for the path answer (e.g. two 503s, then a 200)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hold_s: float = 0.0
    times: int | None = None


@dataclass
class RecordedRequest:
    """One request as the peer saw it, with when it arrived and when its answer was sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    arrived_monotonic: float
    arrived_time: float
    responded_monotonic: float | None = None
    responded_time: float | None = None
    status: int | None = None

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        return _header(self.headers, name)


class HttpPeer:
    """A threaded HTTP server on 127.0.0.1 with configurable routes that records every request.

    Paths are matched without the query string; an unknown path answers 404. A held answer waits
    in its own thread, so concurrent requests are not serialised; `stop()` releases held ones.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, list[Route]] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        """e.g. http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def route(
        self,
        path: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes | str = b"",
        hold_s: float = 0.0,
        times: int | None = None,
    ) -> None:
        """Add an answer for `path`; routes for one path are used in the order they were added."""
        payload = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._routes.setdefault("/" + path.lstrip("/"), []).append(
                Route(status, dict(headers or {}), payload, hold_s, times)
            )

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to `path`, oldest first."""
        wanted = "/" + path.lstrip("/")
        with self._lock:
            return [request for request in self.requests if request.path.split("?")[0] == wanted]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least `count` requests arrived (any path); raise TimeoutError if not."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise TimeoutError(
                    f"Expected {count} request(s) within {timeout} s, got {len(self.requests)}."
                )
            return list(self.requests)

    def _pick(self, path: str) -> Route:
        with self._lock:
            for route in self._routes.get(path.split("?")[0], []):
                if route.times is None:
                    return route
                if route.times > 0:
                    route.times -= 1
                    return route
        return Route(status=404, body=b"no route")

    def _record(self, request: RecordedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def start(self) -> HttpPeer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(peer: HttpPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            arrived_monotonic, arrived_time = time.monotonic(), time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = RecordedRequest(
                method=self.command,
                path=self.path,
                headers=dict(self.headers.items()),
                body=body,
                arrived_monotonic=arrived_monotonic,
                arrived_time=arrived_time,
            )
            peer._record(recorded)
            route = peer._pick(self.path)
            if route.hold_s:
                peer._stopping.wait(route.hold_s)
            # Stamped just before the answer goes out, so a client that has read it sees them set.
            recorded.responded_monotonic = time.monotonic()
            recorded.responded_time = time.time()
            recorded.status = route.status
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(route.body)
                self.wfile.flush()
            except OSError:
                # The client gave up (its timeout) while the answer was held.
                recorded.status = None

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
