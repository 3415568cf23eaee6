"""A message's state in SMSPartner's words (§2.3): `Delivered`, `Waiting`, `Not delivered`,
and `ko` for a message no carrier ever took (not sent); dates as they print them."""

from __future__ import annotations

from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.core.smspartner_callbacks import status_word
from relais.core.status import MessageStatus
from relais.services.message_status import Status


def label(status: str) -> str:
    """The word of /v1/message-status and of the `urlDlr` callback alike."""
    return status_word(MessageStatus(status))


def instant_ms(status: Status) -> int:
    """When the message got its final status, or when it was (or is) due."""
    row = status.message
    return row.done_at if row.done_at is not None else row.due_at


def unix_text(status: Status) -> str:
    return str(instant_ms(status) // 1000)


def paris_text(status: Status) -> str:
    return format_paris(from_ms(instant_ms(status)))


def e164(msisdn: str) -> str:
    return f"+{msisdn}"
