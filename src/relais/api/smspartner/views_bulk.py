"""`POST /v1/bulk-send` (§2.2): a message of its own to each entry of `SMSList`, with the
sender, schedule and options of the request. Each entry is a send of its own through the
shared sending service (a campaign each); `message_id` is the first entry's, and each entry of
`SMSResponse_List` names its own `messageId` (docs/smspartner.md)."""

from __future__ import annotations

from typing import Any, Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint, text, translate
from relais.api.smspartner.errors import FieldErrors, PartnerError
from relais.api.smspartner.money import CURRENCY, euros
from relais.api.smspartner.send_request import (
    MAX_NUMBERS,
    Options,
    message_text,
    outgoing,
    read_options,
    submission,
)
from relais.core.errors import RelaisError
from relais.core.phone import normalize_recipient
from relais.core.schedule import format_paris
from relais.services import opt_outs
from relais.services.platform import AccountRef, Platform
from relais.services.sending import numbers

INVALID_NUMBER: Final = "Ce numero de telephone n'est pas valide"


def _failure(code: int, phone: Any, message: str | None = None) -> dict[str, Any]:
    return {
        "success": False,
        "code": code,
        "phoneNumber": phone,
        "message": message or codes.MESSAGES[code],
    }


async def _send_one(
    platform: Platform, account: AccountRef, entry: Any, options: Options
) -> tuple[dict[str, Any], int, int | None]:
    """One entry's reply, what it cost in credits, and its campaign id."""
    if not isinstance(entry, dict):
        return _failure(codes.BAD_FORMAT, None, "Mauvais format"), 0, None
    phone = text(entry, "phoneNumber")
    if phone is None:
        return _failure(codes.PHONE_REQUIRED, None), 0, None
    destination = normalize_recipient(phone, account.country)
    if destination is None:
        return _failure(codes.CONSTRAINTS, phone, f"{INVALID_NUMBER} ({phone})"), 0, None
    try:
        message = message_text(entry.get("message"))
        body, parts = outgoing(message, options, stop_notice=platform.settings.stop_notice)
        msisdn = destination.msisdn
        if await opt_outs.blacklisted_among(platform, account=account, numbers=[msisdn]):
            raise PartnerError(codes.STOP_LISTED)
        report = await numbers.send(
            platform,
            account=account,
            submission=submission(body, [msisdn], options),
            simulate=options.sandbox,
        )
    except PartnerError as exc:
        return _failure(exc.code, phone, exc.message), 0, None
    except RelaisError as exc:
        failed = translate(exc)
        return _failure(failed.code, phone, failed.message), 0, None
    reply = {
        "success": True,
        "code": 200,
        "nbSms": report.sent * parts,
        "cost": euros(report.cost),
        "phoneNumber": f"+{destination.msisdn}",
        "messageId": report.ticket or 0,
    }
    return reply, report.cost, report.ticket


@endpoint
async def bulk_send(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    entries = fields.get("SMSList")
    if not isinstance(entries, list) or not entries:
        raise PartnerError(codes.NO_NUMBER)
    if len(entries) > MAX_NUMBERS:
        raise PartnerError(codes.TOO_MANY_NUMBERS)
    options = read_options(
        fields,
        FieldErrors(),
        now=platform.clock(),
        allow_private=platform.settings.webhook_allow_private,
    )
    replies: list[dict[str, Any]] = []
    total_cost, first_id = 0, None
    for entry in entries:
        reply, cost, campaign_id = await _send_one(platform, account, entry, options)
        replies.append(reply)
        total_cost += cost
        first_id = first_id or campaign_id
    answer: dict[str, Any] = {
        "message_id": first_id or 0,
        "currency": CURRENCY,
        "cost": euros(total_cost),
        "nbSMS": sum(reply.get("nbSms", 0) for reply in replies),
        "SMSResponse_List": replies,
    }
    if options.goes_out_at is not None:
        answer["scheduledDeliveryDate"] = format_paris(options.goes_out_at)
    return answer
