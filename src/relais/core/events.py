"""
The events Relais tells a customer's webhook of, and their JSON bodies byte for byte as
SMSFactor sends them (api_reference §1.9.2-1.9.6): the outbox stores these bytes and the
sender POSTs them unchanged, so the signature covers exactly what was stored.

Bodies are compact JSON in UTF-8 (non-ASCII is not escaped), keys in the reference's order.
Numbers the reference shows as strings (ids, the ticket, balances, click counts) are strings.
Instants are given as Unix milliseconds and written in Europe/Paris, the time of the
SMSFactor platform: ISO 8601 with the offset for DLR, MO and STOP (`2018-01-16T11:55:12+01:00`),
"Y-m-d H:i:s" for CLICKER and BALANCE_ALERT, each as its reference sample. Seconds are
truncated, not rounded.
"""

from __future__ import annotations

import enum
from typing import Final

import orjson

from relais.core.instant import from_ms
from relais.core.schedule import PARIS, format_paris
from relais.core.status import DLR_CODE, MessageStatus

__all__ = [
    "CONTENT_TYPE",
    "EventType",
    "balance_alert_body",
    "clicker_body",
    "dlr_body",
    "mo_body",
    "stop_body",
]

CONTENT_TYPE: Final = "application/json"


class EventType(enum.StrEnum):
    """The webhook types of SMSFactor's /webhook (§1.9.1); each webhook hears one."""

    DLR = "DLR"
    MO = "MO"
    STOP = "STOP"
    CLICKER = "CLICKER"
    BALANCE_ALERT = "BALANCE_ALERT"


def dlr_body(
    *,
    status: MessageStatus,
    at_ms: int,
    destination: str,
    gsmsmsid: str | None,
    ticket: int | str,
    country_code: str | None,
) -> bytes:
    """
    A delivery report (§1.9.2): `{"date", "status", "destination", "message_id",
    "campaign_id", "country_code"}`. `at_ms` is when the status was reached (the receipt's
    time); `message_id` is the client's gsmsmsid, null when the send gave none.

    `status` is the reference's code (`relais.core.status.DLR_CODE`):

    | MessageStatus | code |
    |---|---|
    | queued, sending, held, cancelled | 0 NOT_SENT |
    | sent | 1 SENT |
    | not_delivered | 2 NOT_DELIVERED |
    | delivered | 3 DELIVERED |
    | not_allowed | 4 NOT_ALLOWED |
    | invalid_destination | 5 INVALID_DESTINATION |
    | invalid_sender | 6 INVALID_SENDER |
    | route_not_available | 7 ROUTE_NOT_AVAILABLE |
    | rejected | 9 REJECTED |
    | network_error | 11 NETWORK_ERROR |
    | expired | 12 EXPIRED |
    """
    return orjson.dumps(
        {
            "date": _iso_paris(at_ms),
            "status": DLR_CODE[status],
            "destination": _without_plus(destination),
            "message_id": gsmsmsid,
            "campaign_id": str(ticket),
            "country_code": country_code,
        }
    )


def mo_body(
    *, at_ms: int, message: str, sender: str, account_id: int, last_gsmsmsid: str | None
) -> bytes:
    """
    A reply (§1.9.3): `{"date", "message", "from", "account_id", "last_message_id"}`.
    `sender` is the number that wrote (`from`, without "+"); `last_gsmsmsid` the gsmsmsid of
    the last message the account sent to it, null when there is none or it had no gsmsmsid.
    """
    return orjson.dumps(
        {
            "date": _iso_paris(at_ms),
            "message": message,
            "from": _without_plus(sender),
            "account_id": str(account_id),
            "last_message_id": last_gsmsmsid,
        }
    )


# A STOP (§1.9.4) has the shape of a reply, `message` being the STOP text received.
stop_body: Final = mo_body


def balance_alert_body(*, balance: int, trigger: int, at_ms: int) -> bytes:
    """The balance went to or below the alert trigger (§1.9.5): `{"balance", "trigger",
    "date"}`, credits as strings."""
    return orjson.dumps(
        {"balance": str(balance), "trigger": str(trigger), "date": format_paris(from_ms(at_ms))}
    )


def clicker_body(
    *,
    ticket: int | str,
    gsmsmsid: str | None,
    at_ms: int,
    long_url: str,
    short_code: str,
    brand: str,
    model: str,
    os: str,
    info1: str = "",
    info2: str = "",
    info3: str = "",
    info4: str = "",
    clicks: int,
) -> bytes:
    """
    A click on a tracked short link (§1.9.6). The keys are the reference's: `gsmsid` (sic)
    holds the message's gsmsmsid or null, `short_url` only the code (`"37MM"`), `info1..4` the
    contact's fields ("" when absent), `clicks_on_link` the link's click count so far.
    """
    return orjson.dumps(
        {
            "campaign_id": str(ticket),
            "gsmsid": gsmsmsid,
            "date": format_paris(from_ms(at_ms)),
            "long_url": long_url,
            "short_url": short_code,
            "brand": brand,
            "model": model,
            "os": os,
            "info1": info1,
            "info2": info2,
            "info3": info3,
            "info4": info4,
            "clicks_on_link": str(clicks),
        }
    )


def _iso_paris(at_ms: int) -> str:
    return from_ms(at_ms).astimezone(PARIS).isoformat(timespec="seconds")


def _without_plus(number: str) -> str:
    return number.removeprefix("+")
