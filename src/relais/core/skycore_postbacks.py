"""
Skycore's postbacks (api_reference §3.2): the JSON bodies POSTed to an account's postback
URL, their webhook types in the outbox, and their retry schedule (every 5 minutes, at most
5 retries; the sender's timeout is 10 s).

MT (`origin` SMS_MT), one per status a message reaches:

| MessageStatus | code | status |
|---|---|---|
| sent | N201 | Sent |
| delivered | N202 | Delivered |
| not_delivered, expired, network_error, route_not_available | E201 | Failed |
| rejected, invalid_destination, invalid_sender, not_allowed | E202 | Rejected |

MO (`origin` SMS_MO, code N211): every inbound SMS, STOP included. Timestamps are UTC ISO
8601 with microseconds, as the reference's sample (`2021-01-26T18:00:07.990498+00:00`).
"""

from __future__ import annotations

from typing import Final

import orjson

from relais.core.instant import from_ms
from relais.core.status import MessageStatus

__all__ = [
    "MO_TYPE",
    "MT_TYPE",
    "RETRY_SCHEDULE",
    "TYPES",
    "mo_body",
    "mt_body",
    "mt_code",
]

# Webhook (and outbox event) types of an account's postback URL: not SMSFactor types, so
# SMSFactor's /webhook neither shows nor accepts them.
MT_TYPE: Final = "SKYCORE_MT"
MO_TYPE: Final = "SKYCORE_MO"
TYPES: Final = (MT_TYPE, MO_TYPE)
RETRY_SCHEDULE: Final[tuple[float, ...]] = (300.0,) * 5

_FAILED: Final = ("E201", "Failed")
_REJECTED: Final = ("E202", "Rejected")
_CODES: Final[dict[MessageStatus, tuple[str, str]]] = {
    MessageStatus.SENT: ("N201", "Sent"),
    MessageStatus.DELIVERED: ("N202", "Delivered"),
    MessageStatus.NOT_DELIVERED: _FAILED,
    MessageStatus.EXPIRED: _FAILED,
    MessageStatus.NETWORK_ERROR: _FAILED,
    MessageStatus.ROUTE_NOT_AVAILABLE: _FAILED,
    MessageStatus.REJECTED: _REJECTED,
    MessageStatus.INVALID_DESTINATION: _REJECTED,
    MessageStatus.INVALID_SENDER: _REJECTED,
    MessageStatus.NOT_ALLOWED: _REJECTED,
}


def mt_code(status: MessageStatus) -> tuple[str, str] | None:
    """(code, status word) of an MT postback, None for a status that has none."""
    return _CODES.get(status)


def _timestamp(at_ms: int) -> str:
    return from_ms(at_ms).isoformat(timespec="microseconds")


def mt_body(
    *, status: MessageStatus, at_ms: int, destination: str, sender: str | None, tracking_id: int
) -> bytes | None:
    """An MT postback, or None for a status that has none."""
    found = mt_code(status)
    if found is None:
        return None
    code, word = found
    return orjson.dumps(
        {
            "origin": "SMS_MT",
            "code": code,
            "sent-as": "SMS",
            "status": word,
            "from": sender or "",
            "to": destination,
            "tracking-id": str(tracking_id),
            "timestamp": _timestamp(at_ms),
        }
    )


def mo_body(*, at_ms: int, source: str, destination: str, text: str) -> bytes:
    """An MO postback: the reply `text` from `source` to the number `destination`."""
    return orjson.dumps(
        {
            "origin": "SMS_MO",
            "code": "N211",
            "from": source,
            "to": destination,
            "text": text,
            "timestamp": _timestamp(at_ms),
        }
    )
