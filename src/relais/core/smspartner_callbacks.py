"""
SMSPartner's per-send callbacks (api_reference §2.5): the JSON bodies POSTed to a send's
`urlResponse` (replies and STOPs) and `urlDlr` (each message's final delivery report), and
their webhook types in the outbox. A send's URL is kept as a webhook of its own type, one per
(account, type, URL, signing key), hidden from SMSFactor's /webhook; the outbox delivers, signs
and retries its events as any webhook's (the platform's webhook schedule).

`urlResponse`, §2.5's shape: `{"type": "response"|"stop", "phone_number": "+336...",
"text": "...", "message_id": <campaign id>}`.

`urlDlr` (the provider documents none; ours mirrors `/v1/message-status`):
`{"type": "dlr", "message_id": <campaign id>, "phone_number": "+336...", "status":
"Delivered"|"Not delivered"|"ko", "date": "<Unix seconds>", "stopSms": false, "cost": 0.045,
"currency": "EUR"}`.
"""

from __future__ import annotations

from typing import Final

import orjson

from relais.core.status import MessageStatus

__all__ = [
    "CREDIT_EUR",
    "CURRENCY",
    "DLR_TYPE",
    "RESPONSE_TYPE",
    "TYPES",
    "dlr_body",
    "euros",
    "response_body",
    "status_word",
]

# Webhook (and outbox event) types of a send's callback URLs: not SMSFactor types, so
# SMSFactor's /webhook neither shows nor accepts them.
DLR_TYPE: Final = "SMSPARTNER_DLR"
RESPONSE_TYPE: Final = "SMSPARTNER_RESPONSE"
TYPES: Final = (DLR_TYPE, RESPONSE_TYPE)

# Relais counts credits; SMSPartner clients read euros (docs/smspartner.md, decisions).
CREDIT_EUR: Final = 0.045
CURRENCY: Final = "EUR"

_WAITING: Final = frozenset(
    {MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.HELD}
)
# Never taken by a carrier: SMSPartner's `ko`.
_NOT_SENT: Final = frozenset(
    {MessageStatus.ROUTE_NOT_AVAILABLE, MessageStatus.NOT_ALLOWED, MessageStatus.INVALID_SENDER}
)


def euros(credits: int) -> float:
    return round(credits * CREDIT_EUR, 3)


def status_word(status: MessageStatus) -> str:
    """A message's state in SMSPartner's words (§2.3)."""
    if status is MessageStatus.DELIVERED:
        return "Delivered"
    if status in _WAITING:
        return "Waiting"
    if status in _NOT_SENT:
        return "ko"
    return "Not delivered"


def _e164(msisdn: str) -> str:
    return msisdn if msisdn.startswith("+") else f"+{msisdn}"


def dlr_body(
    *,
    status: MessageStatus,
    at_ms: int,
    destination: str,
    campaign_id: int,
    cost: int,
    stop_sms: bool,
) -> bytes:
    """The final delivery report of one message to `urlDlr`; `cost` in credits."""
    return orjson.dumps(
        {
            "type": "dlr",
            "message_id": campaign_id,
            "phone_number": _e164(destination),
            "status": status_word(status),
            "date": str(at_ms // 1000),
            "stopSms": stop_sms,
            "cost": euros(cost),
            "currency": CURRENCY,
        }
    )


def response_body(*, is_stop: bool, source: str, text: str, campaign_id: int) -> bytes:
    """A reply (or a STOP) to one of the campaign's messages, to `urlResponse`."""
    return orjson.dumps(
        {
            "type": "stop" if is_stop else "response",
            "phone_number": _e164(source),
            "text": text,
            "message_id": campaign_id,
        }
    )
