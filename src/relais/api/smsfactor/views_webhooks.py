"""SMSFactor webhooks (api_reference §1.9.1): POST /webhook, GET /webhook, PUT /webhook/:id,
PUT /webhook/:id/status, DELETE /webhook/:id, and Relais's own GET /webhook/:id/logs.

`webhook_id` is a string and `deleted_id` an integer, as the reference shows them. In XML,
`webhooks` holds one `<webhook>` per webhook and `logs` one `<log>` per attempt."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint, int_param, path_id
from relais.api.smsfactor.formats import XmlItems
from relais.api.smsfactor.translate import named_text
from relais.core.errors import MissingField
from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.services import webhooks
from relais.services.webhooks import Webhook
from relais.store.webhooks import AttemptRow

FIELDS = ("type", "url", "signature", "status")
DEFAULT_LOG_PAGE = 100


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    """`{"webhook": {…}}` (XML: `<webhook>…</webhook>`), or the fields at the top level."""
    spec = body.get("webhook")
    if isinstance(spec, dict):
        return spec
    if any(name in body for name in FIELDS):
        return body
    raise MissingField('The body must be {"webhook": {"type": …, "url": …, "signature": …}}')


# The fields of each reply, in the reference's order.
CREATED = ("webhook_id", "type", "url", "signature")
FULL = ("webhook_id", "type", "url", "status", "signature", "last_http_code")
STATUS_CHANGED = ("webhook_id", "status", "type", "url", "signature")


def _webhook_fields(row: Webhook, names: tuple[str, ...] = FULL) -> dict[str, Any]:
    every = {
        "webhook_id": str(row.id),
        "type": row.type,
        "url": row.url,
        "status": row.status,
        "signature": row.signature,
        "last_http_code": row.last_http_code,
    }
    return {name: every[name] for name in names}


def _log_fields(row: AttemptRow) -> dict[str, Any]:
    return {
        "date": format_paris(from_ms(row.attempted_at)),
        "event_id": str(row.event_id),
        "attempt": row.attempt,
        "http_code": row.http_code,
        "latency_ms": row.latency_ms,
        "error": row.error,
    }


@endpoint
async def create_webhook(platform, account, request, body):
    spec = _spec(body)
    row = await webhooks.create_webhook(
        platform,
        account_id=account.id,
        type=named_text(spec, "type") or "",
        url=named_text(spec, "url") or "",
        signature=named_text(spec, "signature"),
    )
    return {"webhook": _webhook_fields(row, CREATED)}


@endpoint
async def list_webhooks(platform, account, request, body):
    rows = await webhooks.list_webhooks(platform, account_id=account.id)
    return {"webhooks": XmlItems("webhook", [_webhook_fields(row) for row in rows])}


@endpoint
async def update_webhook(platform, account, request, body):
    webhook_id = path_id(request)
    spec = _spec(body)
    # A signature given empty (or null) removes it; one left out stays.
    signature = (named_text(spec, "signature") or "") if "signature" in spec else None
    row = await webhooks.update_webhook(
        platform,
        account_id=account.id,
        webhook_id=webhook_id,
        type=named_text(spec, "type"),
        url=named_text(spec, "url"),
        signature=signature,
        status=named_text(spec, "status"),
    )
    return {"webhook": _webhook_fields(row)}


@endpoint
async def set_webhook_status(platform, account, request, body):
    webhook_id = path_id(request)
    spec = _spec(body)
    row = await webhooks.set_status(
        platform,
        account_id=account.id,
        webhook_id=webhook_id,
        status=named_text(spec, "status") or "",
    )
    return {"webhook": _webhook_fields(row, STATUS_CHANGED)}


@endpoint
async def delete_webhook(platform, account, request, body):
    webhook_id = path_id(request)
    await webhooks.delete_webhook(platform, account_id=account.id, webhook_id=webhook_id)
    return {"deleted_id": webhook_id}


@endpoint
async def webhook_logs(platform, account, request, body):
    params = request.query_params
    page = await webhooks.webhook_logs(
        platform,
        account_id=account.id,
        webhook_id=path_id(request),
        start=int_param(params, "start", 0),
        length=int_param(params, "length", DEFAULT_LOG_PAGE),
    )
    return {
        "logs": XmlItems("log", [_log_fields(row) for row in page.rows]),
        "totalRecords": page.total,
        "totalDisplayRecords": page.total,
    }


routes = [
    Route("/webhook", create_webhook, methods=["POST"]),
    Route("/webhook", list_webhooks, methods=["GET"]),
    Route("/webhook/{id}/status", set_webhook_status, methods=["PUT"]),
    Route("/webhook/{id}/logs", webhook_logs, methods=["GET"]),
    Route("/webhook/{id}", update_webhook, methods=["PUT"]),
    Route("/webhook/{id}", delete_webhook, methods=["DELETE"]),
]
