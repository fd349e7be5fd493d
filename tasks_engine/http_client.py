"""Outgoing HTTP for HTTP tasks and flow webhooks: abortable, signed, retried.

`requests` has no total deadline and no way to abort from another thread, so each request
runs in a helper thread while the caller waits on a deadline and on the cancel event; to
stop it we shut down the sockets the request opened, which the peer sees as a closed
connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.masking import MASK, is_credential_header, mask_headers  # noqa: F401  (re-export)

MAX_BODY_BYTES = 1024 * 1024
SHOWN_BODY_BYTES = 64 * 1024


class RequestCanceled(Exception):
    """The run was canceled while the request was in flight."""


class RequestTimedOut(Exception):
    """The request did not complete within its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")


@dataclass
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: float = 30
    verify: bool = True


@dataclass
class HttpResponse:
    status_code: int
    reason: str
    headers: dict[str, str]
    body: bytes
    truncated: bool
    elapsed_ms: int

    def as_result(self) -> dict[str, Any]:
        """The response as shown on job details: the first 64 KiB of the body, as text."""
        shown = self.body[:SHOWN_BODY_BYTES]
        return {
            "statusCode": self.status_code,
            "reason": self.reason,
            "headers": self.headers,
            "body": shown.decode("utf-8", errors="replace"),
            "bodyTruncated": self.truncated or len(self.body) > SHOWN_BODY_BYTES,
            "elapsedMs": self.elapsed_ms,
        }


def signature_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """`X-Plans-Timestamp` and `X-Plans-Signature: sha256=HMAC(secret, timestamp + "." + body)`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Plans-Timestamp": ts, "X-Plans-Signature": f"sha256={digest}"}


def status_matches(status: int, codes: list[int | str]) -> bool:
    """True when `status` is listed, or falls in a listed class such as "2xx"."""
    for code in codes:
        if isinstance(code, int) and code == status:
            return True
        if (
            isinstance(code, str)
            and len(code) == 3
            and code.endswith("xx")
            and code[0] == str(status)[0]
        ):
            return True
    return False


class _SocketRegistry:
    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def abort_all(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _session_for(registry: _SocketRegistry) -> requests.Session:
    class Conn(urllib3.connection.HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            registry.add(sock)
            return sock

    class SConn(urllib3.connection.HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            registry.add(sock)
            return sock

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class SPool(HTTPSConnectionPool):
        ConnectionCls = SConn

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SPool}

    session = requests.Session()
    session.trust_env = False
    adapter = Adapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send(request: HttpRequest, *, cancel: threading.Event | None = None) -> HttpResponse:
    """Send one request within `request.timeout` seconds in total.

    Raises RequestTimedOut, RequestCanceled, or a `requests.RequestException` for network errors.
    """
    registry = _SocketRegistry()
    session = _session_for(registry)
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        started = time.monotonic()
        try:
            with session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=(request.timeout, request.timeout),
                verify=request.verify,
                allow_redirects=False,
                stream=True,
            ) as response:
                body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True) or b""
                outcome["response"] = HttpResponse(
                    status_code=response.status_code,
                    reason=response.reason or "",
                    headers=dict(response.headers),
                    body=body[:MAX_BODY_BYTES],
                    truncated=len(body) > MAX_BODY_BYTES,
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                )
        except BaseException as exc:  # handed to the waiting thread, which decides what it means
            outcome["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=work, name="plans-http", daemon=True)
    deadline = time.monotonic() + request.timeout
    thread.start()
    try:
        while not done.wait(0.05):
            if cancel is not None and cancel.is_set():
                registry.abort_all()
                raise RequestCanceled("canceled while the request was in flight")
            if time.monotonic() >= deadline:
                registry.abort_all()
                raise RequestTimedOut(request.timeout)
    finally:
        if not done.is_set():
            thread.join(timeout=2)
        session.close()
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, requests.Timeout):
            raise RequestTimedOut(request.timeout) from error
        raise error
    return outcome["response"]


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Delay before retry number `attempt` (1-based): base·2^(n-1), at most `cap`, with jitter.

    Jitter spreads the delay over [50%, 100%] so that many failing jobs do not retry in step.
    """
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)


@dataclass
class Attempts:
    response: HttpResponse | None
    attempts: int
    error: str
    canceled: bool = False


def send_with_retries(
    request: HttpRequest,
    *,
    retries: int,
    is_success: Callable[[int], bool],
    log: Callable[[str], None],
    cancel: threading.Event | None = None,
    delay: Callable[[int], float] = backoff_delay,
) -> Attempts:
    """Send until success or `retries` retries are used up, logging every attempt.

    Never raises for HTTP or network failures: the returned `error` says what went wrong last.
    """
    last_error = ""
    response: HttpResponse | None = None
    total = retries + 1
    for attempt in range(1, total + 1):
        try:
            response = send(request, cancel=cancel)
        except RequestCanceled:
            log(f"Attempt {attempt}/{total}: canceled while the request was in flight.")
            return Attempts(response=None, attempts=attempt, error="Canceled.", canceled=True)
        except RequestTimedOut as exc:
            response, last_error = None, str(exc)
        except requests.RequestException as exc:
            response, last_error = None, _describe_network_error(exc)
        else:
            if is_success(response.status_code):
                log(
                    f"Attempt {attempt}/{total}: HTTP {response.status_code} in {response.elapsed_ms} ms."
                )
                return Attempts(response=response, attempts=attempt, error="")
            last_error = f"HTTP {response.status_code} {response.reason}".strip()
        log(f"Attempt {attempt}/{total}: {last_error}.")
        if attempt < total:
            wait = delay(attempt)
            log(f"Retrying in {wait:.1f} s.")
            if cancel is not None and cancel.wait(wait):
                return Attempts(
                    response=response, attempts=attempt, error="Canceled.", canceled=True
                )
            if cancel is None:
                time.sleep(wait)
    return Attempts(response=response, attempts=total, error=last_error)


def _describe_network_error(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "SSL certificate check failed (turn off 'Validate SSL' only for hosts you trust)"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect: {exc.__class__.__name__}"
    return f"request failed: {exc.__class__.__name__}"
