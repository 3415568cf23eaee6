"""Groups and contacts (§2.5) over the same contact lists as SMSFactor's /list: a group is a
list, a contact a list contact. A contact keeps its number and four fields: `firstname`,
`lastname`, `custom1`, `custom2` are the lists' info1..info4 (the [info1]..[info4] merge
fields of list sends); the provider's other contact fields are not kept (docs/smspartner.md)."""

from __future__ import annotations

from typing import Any, Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint, page_number, text
from relais.api.smspartner.errors import PartnerError
from relais.core.errors import InvalidField, NotFound
from relais.core.instant import from_ms
from relais.core.integers import parse_whole_number
from relais.core.phone import normalize_recipient
from relais.core.schedule import PARIS
from relais.services import list_import, lists, opt_outs
from relais.services.list_import import NewContact
from relais.services.lists import ContactRow
from relais.services.platform import AccountRef, Platform

# SMSPartner's contact fields, in the order of the lists' info1..info4.
INFO_FIELDS: Final = ("firstname", "lastname", "custom1", "custom2")
LIST_INFOS: Final = ("info1", "info2", "info3", "info4")
NAME_LENGTH: Final = 32
CONTACTS_PER_PAGE: Final = 500
GROUP_NOT_FOUND: Final = 404
CONTACT_NOT_FOUND: Final = "Le contact n'existe pas"


def _id(fields: Fields, name: str) -> int:
    raw = text(fields, name)
    if raw is None:
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element(name), f"{name} est requis")])
    value = parse_whole_number(raw)
    if value is None or value <= 0:
        raise PartnerError(codes.NOT_FOUND, f"{name} introuvable")
    return value


def _group_id(fields: Fields) -> int:
    try:
        return _id(fields, "groupId")
    except PartnerError as exc:
        if exc.code == codes.NOT_FOUND:
            raise PartnerError(GROUP_NOT_FOUND, "Le groupe n'existe pas") from None
        raise


def _infos(contact: dict[str, Any]) -> dict[str, str | None]:
    infos: dict[str, str | None] = {}
    for field in INFO_FIELDS:
        value = text(contact, field)
        if value is not None and field in ("firstname", "lastname") and len(value) > NAME_LENGTH:
            raise PartnerError(
                codes.CONSTRAINTS,
                fields=[(codes.element(field), f"{field} : {NAME_LENGTH} caracteres maximum")],
            )
        infos[field] = value
    return infos


def _contact_fields(row: ContactRow, stopped: bool) -> dict[str, Any]:
    infos = dict(zip(INFO_FIELDS, (row.info1, row.info2, row.info3, row.info4), strict=True))
    return {
        "contactId": str(row.id),
        "phone": f"+{row.destination}",
        "firstname": infos["firstname"] or "",
        "lastname": infos["lastname"] or "",
        "url": "",
        "shortUrl": "",
        "date": "",
        "custom1": infos["custom1"] or "",
        "custom2": infos["custom2"] or "",
        "custom3": "",
        "custom4": "",
        "stopSms": stopped,
        "groupId": row.list_id,
    }


# --- groups -----------------------------------------------------------------------------------


@endpoint
async def group_add(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    name = text(fields, "name")
    if name is None:
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element("name"), "Le nom est requis")])
    try:
        report = await list_import.create_list(platform, account=account, name=name, contacts=[])
    except InvalidField as exc:
        raise PartnerError(
            codes.CONSTRAINTS, fields=[(codes.element("name"), exc.detail)]
        ) from None
    # SMSPartner answers this one with code 2 (sic, §2.5).
    return {"code": 2, "name": name, "groupId": str(report.list_id)}


@endpoint
async def group_delete(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    group_id = _group_id(fields)
    try:
        await lists.delete_list(platform, account=account, list_id=group_id)
    except NotFound:
        raise PartnerError(GROUP_NOT_FOUND, "Le groupe n'existe pas") from None
    return {}


@endpoint
async def group_list(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    found = await lists.list_lists(platform, account=account)
    return {
        "groups": [
            {
                "id": str(group.id),
                "name": group.name,
                "createdAt": from_ms(group.created_at).astimezone(PARIS).isoformat(),
                "isSpecialFile": False,
                "isLocationFile": False,
            }
            for group in found
        ]
    }


# --- contacts ---------------------------------------------------------------------------------


async def _find(platform: Platform, account: AccountRef, group_id: int, msisdn: str) -> ContactRow:
    page = await lists.get_list(
        platform, account=account, list_id=group_id, search=msisdn, start=0, length=1
    )
    return page.page.rows[0]


@endpoint
async def contact_add(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    group_id = _group_id(fields)
    contact = fields.get("contact")
    if not isinstance(contact, dict):
        contact = {}
    phone = text(contact, "phoneNumber")
    if phone is None:
        raise PartnerError(codes.PHONE_REQUIRED)
    found = normalize_recipient(phone, account.country)
    if found is None:
        message = f"Ce numero de telephone n'est pas valide ({phone})"
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element("phoneNumber"), message)])
    infos = _infos(contact)
    try:
        report = await list_import.add_contacts(
            platform,
            account=account,
            list_id=group_id,
            contacts=[NewContact(phone, *infos.values())],
        )
    except NotFound:
        raise PartnerError(GROUP_NOT_FOUND, "Le groupe n'existe pas") from None
    if report.duplicates:
        raise PartnerError(codes.ALREADY_LISTED, "Le numéro est déjà dans le groupe")
    row = await _find(platform, account, group_id, found.msisdn)
    return {"contact": {"phoneNumber": phone, **infos, "contactId": str(row.id)}}


async def _stopped(platform: Platform, account: AccountRef, rows: list[ContactRow]) -> set[str]:
    numbers = sorted({row.destination for row in rows})
    return await opt_outs.blacklisted_among(platform, account=account, numbers=numbers)


@endpoint
async def contact_detail(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    contact_id = _id(fields, "contactId")
    try:
        row = await lists.get_contact(platform, account=account, contact_id=contact_id)
    except NotFound:
        raise PartnerError(codes.NOT_FOUND, CONTACT_NOT_FOUND) from None
    stopped = await _stopped(platform, account, [row])
    return {"contact": _contact_fields(row, row.destination in stopped)}


@endpoint
async def contact_list(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    group_id = _group_id(fields)
    page = page_number(fields)
    try:
        found = await lists.get_list(
            platform,
            account=account,
            list_id=group_id,
            start=(page - 1) * CONTACTS_PER_PAGE,
            length=CONTACTS_PER_PAGE,
        )
    except NotFound:
        raise PartnerError(GROUP_NOT_FOUND, "Le groupe n'existe pas") from None
    rows = found.page.rows
    stopped = await _stopped(platform, account, rows)
    return {
        "currentPage": page,
        "total": str(found.page.total),
        "datas": [_contact_fields(row, row.destination in stopped) for row in rows],
    }


@endpoint
async def contact_update(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    contact_id = _id(fields, "contactId")
    nested = fields.get("contact")
    source: Fields = nested if isinstance(nested, dict) else fields
    given = _infos(source)
    infos = {
        info: given[field]
        for info, field in zip(LIST_INFOS, INFO_FIELDS, strict=True)
        if field in source
    }
    phone = text(source, "phoneNumber")
    try:
        await lists.update_contact(
            platform, account=account, contact_id=contact_id, value=phone, infos=infos
        )
    except NotFound:
        raise PartnerError(codes.NOT_FOUND, CONTACT_NOT_FOUND) from None
    except InvalidField as exc:
        raise PartnerError(
            codes.CONSTRAINTS, fields=[(codes.element("phoneNumber"), exc.detail)]
        ) from None
    row = await lists.get_contact(platform, account=account, contact_id=contact_id)
    stopped = await _stopped(platform, account, [row])
    return {"contact": _contact_fields(row, row.destination in stopped)}


@endpoint
async def contact_delete(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    contact_id = _id(fields, "contactId")
    try:
        await lists.delete_contact(platform, account=account, contact_id=contact_id)
    except NotFound:
        raise PartnerError(codes.NOT_FOUND, CONTACT_NOT_FOUND) from None
    return {}


@endpoint
async def contact_add_many(
    platform: Platform, account: AccountRef, fields: Fields
) -> dict[str, Any]:
    """`POST /v1/contact/multiple/add`: the valid contacts are added in one transaction; the
    report counts the others (a number already in the group keeps its contact)."""
    group_id = _group_id(fields)
    entries = fields.get("contactsList")
    if not isinstance(entries, list) or not entries:
        raise PartnerError(codes.NO_NUMBER)
    if len(entries) > CONTACTS_PER_PAGE:
        raise PartnerError(codes.TOO_MANY_NUMBERS, "500 contacts maximum par requête")
    results: list[dict[str, Any]] = []
    kept: list[NewContact] = []
    seen: set[str] = set()
    invalid = duplicate = empty = 0
    for entry in entries:
        contact = entry if isinstance(entry, dict) else {}
        phone = text(contact, "phoneNumber")
        found = normalize_recipient(phone, account.country) if phone else None
        if phone is None:
            empty += 1
            results.append(_line(codes.PHONE_REQUIRED, phone))
        elif found is None:
            invalid += 1
            results.append(_line(codes.CONSTRAINTS, phone, "Le numéro n'est pas valide"))
        elif found.msisdn in seen:
            duplicate += 1
            results.append(_line(codes.ALREADY_LISTED, phone, "Le numéro est en double"))
        else:
            seen.add(found.msisdn)
            kept.append(NewContact(phone, *_infos(contact).values()))
    try:
        report = await list_import.add_contacts(
            platform, account=account, list_id=group_id, contacts=kept
        )
        group = await lists.get_list(platform, account=account, list_id=group_id, length=1)
    except NotFound:
        raise PartnerError(GROUP_NOT_FOUND, "Le groupe n'existe pas") from None
    return {
        "groupe": {"name": group.name, "token": str(group_id)},
        "results": results,
        "rapport": {
            "nbline": len(entries),
            "nbline_imported": report.added,
            "nbline_updated": 0,
            "errors": {
                "stopSms": 0,
                "invalidePhone": invalid,
                "duplicatePhone": duplicate,
                "allreadyInGroupe": report.duplicates,
                "urlInvalide": 0,
                "dateInvalide": 0,
                "empty": empty,
                "unactivated": 0,
                "dateInvalid": 0,
            },
        },
    }


def _line(code: int, phone: str | None, message: str | None = None) -> dict[str, Any]:
    return {
        "success": False,
        "code": code,
        "phoneNumber": phone,
        "message": message or codes.MESSAGES[code],
    }
