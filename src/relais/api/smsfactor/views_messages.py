"""SMSFactor message history (api_reference §1.6, §1.5.3): GET /messages, the per-message
log in and out over a period, and GET /campaign/:id/mo, the replies to a campaign."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import date_param, endpoint, int_param, path_id
from relais.core.errors import InvalidField
from relais.core.instant import from_ms
from relais.core.phone import country_of
from relais.core.schedule import format_paris
from relais.services import message_log
from relais.store.message_log import OUT, LogRow

# `type` query values: which side of the log to read (default both).
DIRECTIONS = {"messages-in": (False, True), "messages-out": (True, False)}


def _date(ms: int | None) -> str | None:
    return None if ms is None else format_paris(from_ms(ms))


def _message_fields(row: LogRow, list_ids: dict[int, int]) -> dict[str, Any]:
    """One log row as the reference shows it. `status` is the delivery category
    (DELIVERED, SENT, WAITING, MODERATION, DENIED, NOT_SENT, UNDELIVERED; RECEIVED for a
    reply) and `status_details` the precise status (e.g. INVALID_DESTINATION, EXPIRED;
    STOP for a reply that opted out). `message_id` is unique per `type`."""
    outbound = row.type == OUT
    list_id = list_ids.get(row.contact_id) if row.contact_id is not None else None
    reply_details = "STOP" if row.is_stop else "RECEIVED"
    details = row.status.upper() if outbound else reply_details
    return {
        "campaign_id": row.campaign_id,
        "client_id": row.account_id,
        "client_message_id": row.gsmsmsid or "",
        "contact_list_id": "" if list_id is None else str(list_id),
        "message": row.text,
        "message_length": len(row.text),
        "cost": row.cost,
        # A reply whose answered message was deleted since keeps the country of its number.
        "country": row.country or country_of(row.destination),
        "destination": row.destination,
        "message_id": row.id,
        "sender": row.sender,
        "date": _date(row.date),
        "dlr_date": _date(row.dlr_date),
        "status": row.category.upper(),
        "status_details": details,
        "type": row.type,
    }


@endpoint
async def list_messages(platform, account, request, body):
    params = request.query_params
    kind = params.get("type") or None
    if kind is not None and kind not in DIRECTIONS:
        raise InvalidField("type must be messages-in or messages-out")
    outbound, inbound = DIRECTIONS[kind] if kind else (True, True)
    page = await message_log.list_messages(
        platform,
        account=account,
        date_start_ms=date_param(params, "date_start"),
        date_end_ms=date_param(params, "date_end"),
        destination=params.get("destination") or None,
        text=params.get("message") or None,
        outbound=outbound,
        inbound=inbound,
        country=params.get("country") or None,
        status=(params.get("status") or "").strip().lower() or None,
        start=int_param(params, "start", 0),
        length=int_param(params, "length", 100),
        sort=params.get("sort") or "-date",
    )
    return {
        "totalRecords": page.total,
        "totalDisplayRecords": page.total,
        "messages": [_message_fields(row, page.list_ids) for row in page.rows],
    }


@endpoint
async def campaign_replies(platform, account, request, body):
    replies = await message_log.campaign_replies(
        platform, account=account, campaign_id=path_id(request)
    )
    return {
        "mo": [
            {
                "destination": reply.source,
                "message": reply.text,
                "date": format_paris(from_ms(reply.received_at)),
            }
            for reply in replies
        ]
    }


routes = [
    Route("/messages", list_messages, methods=["GET"]),
    Route("/campaign/{id}/mo", campaign_replies, methods=["GET"]),
]
