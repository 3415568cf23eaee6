"""Message and campaign states, and their SMSFactor delivery-report codes (§1.9)."""

from __future__ import annotations

import enum


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # stored, waiting for its send time or for the dispatcher
    SENDING = "sending"  # claimed by a dispatcher, submit in progress
    SENT = "sent"  # accepted by the carrier, no final receipt yet
    NOT_DELIVERED = "not_delivered"
    DELIVERED = "delivered"
    NOT_ALLOWED = "not_allowed"
    INVALID_DESTINATION = "invalid_destination"
    INVALID_SENDER = "invalid_sender"
    ROUTE_NOT_AVAILABLE = "route_not_available"
    REJECTED = "rejected"
    NETWORK_ERROR = "network_error"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # the campaign was cancelled before its send time
    # Waiting, but not to be claimed: its account is suspended or its campaign is in
    # moderation. Released back to queued when both are lifted.
    HELD = "held"


DLR_CODE: dict[MessageStatus, int] = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 0,
    MessageStatus.CANCELLED: 0,
    MessageStatus.HELD: 0,
    MessageStatus.SENT: 1,
    MessageStatus.NOT_DELIVERED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.NOT_ALLOWED: 4,
    MessageStatus.INVALID_DESTINATION: 5,
    MessageStatus.INVALID_SENDER: 6,
    MessageStatus.ROUTE_NOT_AVAILABLE: 7,
    MessageStatus.REJECTED: 9,
    MessageStatus.NETWORK_ERROR: 11,
    MessageStatus.EXPIRED: 12,
}

FINAL_STATUSES: frozenset[MessageStatus] = frozenset(s for s, code in DLR_CODE.items() if code >= 2)

# Status only moves forward: each state lists the states it may be overwritten from.
PREDECESSORS: dict[MessageStatus, tuple[MessageStatus, ...]] = {
    MessageStatus.SENDING: (MessageStatus.QUEUED,),
    MessageStatus.SENT: (MessageStatus.QUEUED, MessageStatus.SENDING),
    MessageStatus.CANCELLED: (MessageStatus.QUEUED, MessageStatus.HELD),
    MessageStatus.HELD: (MessageStatus.QUEUED,),
    MessageStatus.QUEUED: (MessageStatus.HELD,),
    **{
        s: (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT) for s in FINAL_STATUSES
    },
}

# Final statuses the campaign report counts as "error" (refused by the operator side).
ERROR_STATUSES: frozenset[MessageStatus] = frozenset(
    {
        MessageStatus.NOT_DELIVERED,
        MessageStatus.NOT_ALLOWED,
        MessageStatus.INVALID_DESTINATION,
        MessageStatus.INVALID_SENDER,
        MessageStatus.ROUTE_NOT_AVAILABLE,
        MessageStatus.REJECTED,
    }
)


class PushType(enum.StrEnum):
    ALERT = "alert"
    MARKETING = "marketing"

    @classmethod
    def parse(cls, raw: str | None) -> PushType:
        """`advertising` is the legacy name of marketing; absent means alert."""
        value = (raw or "").strip().lower()
        if value in ("", "alert"):
            return cls.ALERT
        if value in ("marketing", "advertising"):
            return cls.MARKETING
        raise ValueError(raw)


class CampaignStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its send time
    QUEUED = "queued"  # released to the dispatcher
    CANCELLED = "cancelled"
    MODERATION = "moderation"  # held for an operator's review
    REFUSED = "refused"  # refused by an operator; its credits were refunded
    # A list campaign whose messages are still being written, in pages, after its up-front
    # debit; GET /campaign shows it as sending.
    PREPARING = "preparing"
