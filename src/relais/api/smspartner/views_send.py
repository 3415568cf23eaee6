"""`POST|GET /v1/send`: one text to up to 500 numbers, through the same sending service as
every dialect (billed, screened, delivered, listed in SMSFactor's GET /messages)."""

from __future__ import annotations

from typing import Any

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint
from relais.api.smspartner.errors import PartnerError
from relais.api.smspartner.money import CURRENCY, euros
from relais.api.smspartner.send_request import read_send
from relais.core.schedule import format_paris
from relais.services import opt_outs
from relais.services.platform import AccountRef, Platform
from relais.services.sending import numbers


@endpoint
async def send(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    order = read_send(
        fields,
        country=account.country,
        now=platform.clock(),
        stop_notice=platform.settings.stop_notice,
        allow_private=platform.settings.webhook_allow_private,
    )
    listed = await opt_outs.blacklisted_among(platform, account=account, numbers=order.numbers)
    if listed and len(listed) == len(order.numbers):
        raise PartnerError(codes.STOP_LISTED)
    report = await numbers.send(
        platform, account=account, submission=order.submission, simulate=order.sandbox
    )
    reply: dict[str, Any] = {
        "message_id": report.ticket or 0,
        "nb_sms": report.sent * order.parts,
        "cost": euros(report.cost),
        "currency": CURRENCY,
    }
    if order.goes_out_at is not None:
        reply["scheduledDeliveryDate"] = format_paris(order.goes_out_at)
    return reply
