"""The STOP list (§2.5): GET /v1/stop-sms/list, POST /v1/stop-sms/add and
GET /v1/stop-sms/delete over the account's blacklist, the one every dialect's sends skip."""

from __future__ import annotations

from typing import Any, Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint, page_number, text
from relais.api.smspartner.errors import PartnerError
from relais.core.errors import NotFound
from relais.core.instant import from_ms
from relais.core.integers import parse_whole_number
from relais.core.phone import normalize_recipient
from relais.core.schedule import format_paris
from relais.services import opt_outs
from relais.services.opt_outs import MAX_PAGE, OptOutContact
from relais.services.platform import AccountRef, Platform

INVALID_NUMBER: Final = "Ce numero de telephone n'est pas valide"


@endpoint
async def stop_list(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    start = (page_number(fields) - 1) * MAX_PAGE
    page = await opt_outs.list_opt_outs(
        platform, account=account, kind="blacklist", start=start, length=MAX_PAGE
    )
    return {
        "nbData": page.total,
        "data": [
            {
                "id": row.id,
                "phoneNumber": f"+{row.destination}",
                "createdAt": format_paris(from_ms(row.created_at)),
            }
            for row in page.rows
        ],
    }


@endpoint
async def stop_add(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    number = text(fields, "phoneNumber")
    if number is None:
        raise PartnerError(codes.PHONE_REQUIRED)
    if normalize_recipient(number, account.country) is None:
        raise PartnerError(
            codes.CONSTRAINTS,
            fields=[(codes.element("phoneNumber"), f"{INVALID_NUMBER} ({number})")],
        )
    await opt_outs.add_opt_outs(
        platform, account=account, kind="blacklist", contacts=[OptOutContact(number)]
    )
    entry = await opt_outs.opt_out_entry(platform, account=account, kind="blacklist", number=number)
    if entry is None:  # removed by a concurrent delete between the two statements
        raise PartnerError(codes.QUEUE_PROBLEM)
    return {"stopId": entry.id}


@endpoint
async def stop_delete(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    raw = text(fields, "id")
    if raw is None:
        raise PartnerError(codes.ID_REQUIRED, "L'identifiant est requis")
    entry_id = parse_whole_number(raw)
    if entry_id is None or entry_id <= 0:
        raise PartnerError(codes.NOT_FOUND, "Identifiant introuvable")
    try:
        await opt_outs.delete_opt_out(
            platform, account=account, kind="blacklist", entry_id=entry_id
        )
    except NotFound:
        raise PartnerError(codes.NOT_FOUND, "Identifiant introuvable") from None
    return {}
