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

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        self.peer._record(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpPeer:
    """SMTP on 127.0.0.1:`port`; `messages` are email.message.Message objects, oldest first."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
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
