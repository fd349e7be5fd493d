"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes._net import free_port


@dataclass(frozen=True)
class ReceivedMail:
    """One delivery: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: Message


class _RecordingHandler:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.peer._refusal_for(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        self.peer._record(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpPeer:
    """SMTP on 127.0.0.1:`port`; `messages` are email.message.Message objects, oldest first."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self._refusal = ""
        self._refused: set[str] | None = None
        self._arrived = threading.Condition()
        # aiosmtpd checks its own start by connecting to the port, so port 0 cannot be used.
        self.port = free_port()
        self.host = "127.0.0.1"
        self._controller = Controller(_RecordingHandler(self), hostname=self.host, port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self._arrived:
            return [mail.message for mail in self.received]

    def _record(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()

    def refuse(
        self, reply: str = "550 5.7.1 Refused for testing", *, only: set[str] | None = None
    ) -> None:
        """Refuse recipients with `reply` from now on: every one, or the addresses in `only`."""
        with self._arrived:
            self._refusal = reply
            self._refused = {a.lower() for a in only} if only is not None else None

    def accept_all(self) -> None:
        with self._arrived:
            self._refusal = ""

    def _refusal_for(self, address: str) -> str:
        with self._arrived:
            if self._refusal and (self._refused is None or address.lower() in self._refused):
                return self._refusal
            return ""

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[Message]:
        """Block until at least `count` messages arrived; raise TimeoutError if not."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            if not self._arrived.wait_for(
                lambda: len(self.received) >= count, timeout=max(0.0, deadline - time.monotonic())
            ):
                raise TimeoutError(f"Expected {count} message(s), got {len(self.received)}.")
            return [mail.message for mail in self.received]

    def start(self) -> SmtpPeer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
