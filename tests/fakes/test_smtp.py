"""The SMTP peer receives real SMTP and keeps parsed messages."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from tests.fakes import fixtures
from tests.fakes.smtp import SmtpPeer

smtp_peer = fixtures.smtp_peer


def test_it_records_a_message_with_its_envelope(smtp_peer: SmtpPeer) -> None:
    message = EmailMessage()
    message["From"] = "plans@example.test"
    message["To"] = "ops@example.test"
    message["Subject"] = "Run 7 failed"
    message.set_content("Task delete-old failed.")

    with smtplib.SMTP(smtp_peer.host, smtp_peer.port, timeout=5) as client:
        client.send_message(message, to_addrs=["ops@example.test", "cc@example.test"])

    [received] = smtp_peer.wait_for_messages(1)
    assert received["Subject"] == "Run 7 failed"
    assert str(received.get_payload()).strip() == "Task delete-old failed."
    assert smtp_peer.received[0].mail_from == "plans@example.test"
    assert smtp_peer.received[0].rcpt_tos == ["ops@example.test", "cc@example.test"]


def test_it_times_out_clearly_when_nothing_arrives(smtp_peer: SmtpPeer) -> None:
    with pytest.raises(TimeoutError, match="Expected 1 message"):
        smtp_peer.wait_for_messages(1, timeout=0.2)


def test_it_refuses_the_recipients_it_is_told_to_refuse(smtp_peer: SmtpPeer) -> None:
    smtp_peer.refuse("550 5.1.1 No such user", only={"gone@example.test"})
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.test", "x", "Hi"
    message.set_content("Hello")

    with smtplib.SMTP(smtp_peer.host, smtp_peer.port, timeout=5) as client:
        refused = client.send_message(message, to_addrs=["gone@example.test", "ok@example.test"])
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.send_message(message, to_addrs=["gone@example.test"])

    assert refused == {"gone@example.test": (550, b"5.1.1 No such user")}
    smtp_peer.wait_for_messages(1)
    assert [mail.rcpt_tos for mail in smtp_peer.received] == [["ok@example.test"]]
