"""
The headers a webhook request carries, signatures included. SMSFactor names a header,
`X-SMSFactor-Signature`, without documenting its algorithm (api_reference §1.9.1): ours is the
lowercase hex HMAC-SHA256 of the raw body, keyed with the UTF-8 bytes of the webhook's
`signature`. Beside it go the Standard Webhooks headers (standardwebhooks.com), keyed with
the same bytes, so a receiver can verify with that project's libraries:
`Webhook(base64.b64encode(signature.encode()).decode()).verify(body, headers)`.

Pure: the event id and the timestamp are given; the id must stay the same on every retry of
one event so the receiver can drop duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

from relais.core.events import CONTENT_TYPE

__all__ = [
    "SMSFACTOR_SIGNATURE",
    "WEBHOOK_ID",
    "WEBHOOK_SIGNATURE",
    "WEBHOOK_TIMESTAMP",
    "smsfactor_signature",
    "standard_signature",
    "webhook_headers",
]

SMSFACTOR_SIGNATURE: Final = "X-SMSFactor-Signature"
WEBHOOK_ID: Final = "webhook-id"
WEBHOOK_TIMESTAMP: Final = "webhook-timestamp"
WEBHOOK_SIGNATURE: Final = "webhook-signature"


def smsfactor_signature(body: bytes, signature: str) -> str:
    """`X-SMSFactor-Signature`: hex HMAC-SHA256 of the body, keyed with the signature."""
    return hmac.new(signature.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(body: bytes, signature: str, *, event_id: str, timestamp: int) -> str:
    """`webhook-signature`: "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}." + body."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(signature.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(
    body: bytes, signature: str | None, *, event_id: str, timestamp: int
) -> dict[str, str]:
    """
    Every header of one delivery attempt of an event: its content type, `webhook-id`,
    `webhook-timestamp` (Unix seconds of this attempt) and, when the webhook has a signature
    (None or "" means none), `X-SMSFactor-Signature` and `webhook-signature`.
    """
    headers = {
        "Content-Type": CONTENT_TYPE,
        WEBHOOK_ID: event_id,
        WEBHOOK_TIMESTAMP: str(timestamp),
    }
    if signature:
        headers[SMSFACTOR_SIGNATURE] = smsfactor_signature(body, signature)
        headers[WEBHOOK_SIGNATURE] = standard_signature(
            body, signature, event_id=event_id, timestamp=timestamp
        )
    return headers
