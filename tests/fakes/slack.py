"""A local fake of the Slack Web API's chat.postMessage, answering as Slack does.

Point slack_sdk at it with `base_url=fake.base_url`. It checks the bearer token, the channel
and whether the bot is in it, can answer 429 `ratelimited` on demand, and records every request.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class SlackRequest:
    """One call received: the token (None without one), channel, text and the error answered."""

    method: str
    token: str | None
    channel: str | None
    text: str | None
    error: str | None


class FakeSlack:
    """A threaded HTTP server on 127.0.0.1 speaking enough Slack Web API for chat.postMessage.

    `channels` are the channels that exist (names with or without "#", or IDs); `not_in` are
    those among them the bot was not invited to. Use as a context manager, or start()/stop().
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("xoxb-valid-token",),
        channels: Iterable[str] = ("general", "alerts"),
        not_in: Iterable[str] = ("private",),
    ) -> None:
        self.tokens = set(tokens)
        self.not_in = {_name(channel) for channel in not_in}
        names = [_name(channel) for channel in [*channels, *not_in]]
        self.channel_ids = {name: f"C{index:08d}" for index, name in enumerate(names, start=1)}
        self.requests: list[SlackRequest] = []
        self._ratelimited_left = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The Web API root, with its trailing slash, as slack_sdk's `base_url` wants it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def messages(self) -> list[SlackRequest]:
        """The calls that were accepted and posted."""
        with self._lock:
            return [request for request in self.requests if request.error is None]

    def channel_id(self, channel: str) -> str:
        """The ID the fake gives a channel (what chat.postMessage answers in `channel`)."""
        return self.channel_ids[_name(channel)]

    def ratelimit_next(self, times: int = 1) -> None:
        """Answer the next `times` calls with HTTP 429, `Retry-After: 1` and error ratelimited."""
        with self._lock:
            self._ratelimited_left = times

    def start(self) -> FakeSlack:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, method: str, token: str | None, params: dict[str, Any]) -> tuple[int, dict]:
        """Decide the answer to one call and record it; returns (HTTP status, JSON body)."""
        channel = params.get("channel")
        text = params.get("text")
        status, body = self._decide(method, token, channel)
        with self._lock:
            self.requests.append(
                SlackRequest(method, token, channel, text, None if body["ok"] else body["error"])
            )
        return status, body

    def _decide(self, method: str, token: str | None, channel: Any) -> tuple[int, dict]:
        with self._lock:
            if self._ratelimited_left > 0:
                self._ratelimited_left -= 1
                return 429, {"ok": False, "error": "ratelimited"}
        if method != "chat.postMessage":
            return 200, {"ok": False, "error": "unknown_method"}
        if not token:
            return 200, {"ok": False, "error": "not_authed"}
        if token not in self.tokens:
            return 200, {"ok": False, "error": "invalid_auth"}
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}
        name = self._known(str(channel))
        if name is None:
            return 200, {"ok": False, "error": "channel_not_found"}
        if name in self.not_in:
            return 200, {"ok": False, "error": "not_in_channel"}
        ts = f"{time.time():.6f}"
        channel_id = self.channel_ids[name]
        return 200, {"ok": True, "channel": channel_id, "ts": ts, "message": {"ts": ts}}

    def _known(self, channel: str) -> str | None:
        name = _name(channel)
        if name in self.channel_ids:
            return name
        for known, channel_id in self.channel_ids.items():
            if channel_id == channel:
                return known
        return None


def _name(channel: str) -> str:
    return channel.lstrip("#")


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            params: dict[str, Any]
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                params = json.loads(raw or b"{}")
            else:
                parsed = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
                params = {key: values[-1] for key, values in parsed.items()}
            authorization = self.headers.get("Authorization") or ""
            token = authorization.removeprefix("Bearer ").strip() or params.get("token")
            method = self.path.split("?")[0].removeprefix("/api/")
            status, body = fake.answer(method, token, params)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            # Quiet: pytest output should show test failures, not access logs.
            pass

    return Handler
