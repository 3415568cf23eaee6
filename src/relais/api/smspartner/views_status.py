"""Status and cancellation (§2.2, §2.3): GET /v1/message-status, POST /v1/multi-status,
GET /v1/bulk-status, GET /v1/bulk-status-by-tag and GET /v1/message-cancel. A `messageId` is
the `message_id` /v1/send answered: the campaign's id, shared with SMSFactor's ticket."""

from __future__ import annotations

from typing import Any, Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint, page_number, text
from relais.api.smspartner.errors import PartnerError
from relais.api.smspartner.money import CURRENCY, euros
from relais.api.smspartner.statuses import e164, label, paris_text, unix_text
from relais.core.errors import NotCancellable
from relais.core.instant import to_ms
from relais.core.integers import parse_whole_number
from relais.core.phone import normalize_recipient
from relais.services import campaigns
from relais.services import message_status as statuses
from relais.services.message_status import Status
from relais.services.platform import AccountRef, Platform

MAX_STATUSES: Final = 500
CANCEL_NOTICE_MS: Final = 5 * 60_000
NUMBER_NOT_FOUND: Final = "Numéro introuvable"


def message_id(raw: Any) -> int:
    """A `messageId`: code 3 when absent; one that cannot be ours names nothing (code 4)."""
    value = raw if isinstance(raw, str) else None if raw is None else str(raw)
    if value is None or not value.strip():
        raise PartnerError(codes.ID_REQUIRED)
    number = parse_whole_number(value.strip())
    if number is None or number <= 0:
        raise PartnerError(codes.NOT_FOUND)
    return number


def msisdn(raw: str | None, country: str) -> str:
    if raw is None:
        raise PartnerError(codes.PHONE_REQUIRED)
    found = normalize_recipient(raw, country)
    if found is None:
        raise PartnerError(codes.CONSTRAINTS, "Ce numéro n'est pas un numéro de mobile valide")
    return found.msisdn


@endpoint
async def message_status(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    number = text(fields, "phoneNumber")
    campaign_id = message_id(fields.get("messageId"))
    destination = msisdn(number, account.country)
    found = await statuses.campaign_statuses(
        platform, account=account, campaign_id=campaign_id, destination=destination
    )
    if not found:
        raise PartnerError(codes.NOT_FOUND)
    status = found[0]
    return {
        "number": number,
        "messageId": str(campaign_id),
        "stopSms": status.stopped,
        "date": paris_text(status),
        "statut": label(status.message.status),
        "cost": euros(status.message.cost),
        "countryCode": status.message.country,
        "currency": CURRENCY,
    }


def _multi_item(entry: Any, status: Status | None, campaign_id: int) -> dict[str, Any]:
    phone = entry.get("phoneNumber")
    if status is None:
        return {
            "success": False,
            "code": codes.NOT_FOUND,
            "phoneNumber": phone,
            "messageId": campaign_id,
            "status": NUMBER_NOT_FOUND,
        }
    return {
        "success": True,
        "code": 200,
        "phoneNumber": e164(status.message.destination),
        "messageId": campaign_id,
        "status": label(status.message.status),
        "date": unix_text(status),
        "stopSms": "1" if status.stopped else "0",
        "isSpam": "0",
    }


@endpoint
async def multi_status(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    entries = fields.get("SMSStatut_List")
    if not isinstance(entries, list) or not entries:
        raise PartnerError(codes.EMPTY_LIST, "La liste des numéros est vide")
    if len(entries) > MAX_STATUSES:
        raise PartnerError(codes.TOO_MANY_NUMBERS, "500 numéros maximum par requête")
    wanted: list[tuple[int, str] | None] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise PartnerError(codes.BAD_FORMAT, "Mauvais format")
        try:
            campaign_id = message_id(entry.get("messageId"))
            phone = text(entry, "phoneNumber")
            destination = msisdn(phone, account.country)
        except PartnerError:
            wanted.append(None)
            continue
        wanted.append((campaign_id, destination))
    asked = [pair for pair in wanted if pair is not None]
    found = iter(await statuses.many_statuses(platform, account=account, wanted=asked))
    items = []
    for entry, pair in zip(entries, wanted, strict=True):
        status = next(found) if pair is not None else None
        items.append(_multi_item(entry, status, pair[0] if pair else entry.get("messageId")))
    return {"StatutResponse_List": items}


def _bulk_item(status: Status) -> dict[str, Any]:
    return {
        "phoneNumber": e164(status.message.destination),
        "status": label(status.message.status),
        "stopSMS": status.stopped,
        "date": unix_text(status),
    }


@endpoint
async def bulk_status(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    campaign_id = message_id(fields.get("messageId"))
    found = await statuses.campaign_statuses(platform, account=account, campaign_id=campaign_id)
    if not found:
        raise PartnerError(codes.NOT_FOUND)
    return {"message_id": str(campaign_id), "StatutResponse_List": [_bulk_item(s) for s in found]}


@endpoint
async def bulk_status_by_tag(
    platform: Platform, account: AccountRef, fields: Fields
) -> dict[str, Any]:
    tag = text(fields, "tag")
    if tag is None:
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element("tag"), "Le tag est requis")])
    page = page_number(fields)
    found, total = await statuses.tagged_statuses(platform, account=account, tag=tag, page=page)
    items = [{**_bulk_item(s), "messageId": s.message.campaign_id} for s in found]
    return {"currentPage": page, "total": total, "StatutResponse_List": items}


@endpoint
async def message_cancel(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    campaign_id = message_id(fields.get("messageId"))
    report = await campaigns.get_campaign(platform, account=account, campaign_id=campaign_id)
    if report.state in ("Cancelled", "Refused"):
        raise PartnerError(codes.ALREADY_CANCELLED)
    if report.state == "Scheduled" and (
        report.campaign.send_at - to_ms(platform.clock()) < CANCEL_NOTICE_MS
    ):
        raise PartnerError(codes.TOO_LATE_TO_CANCEL)
    try:
        await campaigns.cancel_campaign(platform, account=account, campaign_id=campaign_id)
    except NotCancellable:
        raise PartnerError(codes.ALREADY_SENT) from None
    return {"message": "L'envoi du SMS a été annulé."}
