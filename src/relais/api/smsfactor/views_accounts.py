"""SMSFactor account endpoints (api_reference §1.10): POST /account, GET /account,
GET /sub-accounts, GET /sub-accounts/:id, GET /account/:id/unlock."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint, path_id
from relais.api.smsfactor.formats import XmlItems
from relais.api.smsfactor.translate import text_field
from relais.core.errors import InvalidField, MissingField
from relais.services import sub_accounts
from relais.services.sub_accounts import SubAccount
from relais.store.accounts import PROFILE_FIELDS, AccountDetails

TIME_ZONE = "Europe/Paris"


def _text(spec: dict[str, Any], name: str) -> str | None:
    try:
        return text_field(spec.get(name))
    except InvalidField:
        raise InvalidField(f"{name}: must be a text, not an object or a list") from None


def _flag(spec: dict[str, Any], name: str) -> bool | None:
    raw = _text(spec, name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in {"1", "true"}:
        return True
    if value in {"0", "false"}:
        return False
    raise InvalidField(f"{name}: must be 0 or 1, not {raw!r}")


def account_fields(account: AccountDetails) -> dict[str, Any]:
    """One account as GET /account shows it: numbers as strings, `address2` and `senderid`
    null when empty (the Java SDK types senderid as an Integer)."""
    profile = account.profile
    return {
        "client_id": str(account.id),
        "email": account.email,
        "firstname": profile["firstname"],
        "lastname": profile["lastname"],
        "city": profile["city"],
        "type": profile["type"],
        "company": profile["company"],
        "phone": profile["phone"],
        "address1": profile["address1"],
        "address2": profile["address2"] or None,
        "zip": profile["zip"],
        "country": "",
        "country_code": account.country,
        "lang": sub_accounts.language(profile["lang"], account.country),
        "credits": str(account.balance),
        "unlimited": "1" if account.unlimited else "0",
        "description": profile["description"],
        "senderid": profile["sender"] or None,
        "status": "1" if account.active else "0",
    }


def sub_account_fields(found: SubAccount) -> dict[str, Any]:
    return {
        **account_fields(found.account),
        "time_zone": TIME_ZONE,
        "current_month_consumption": found.current_month_consumption,
        "previous_month_consumption": found.previous_month_consumption,
    }


@endpoint
async def create_account(platform, account, request, body):
    spec = body.get("account")
    if not isinstance(spec, dict):
        raise MissingField('The body must be {"account": {"email": …, "password": …, …}}')
    new_id = await sub_accounts.open_account(
        platform,
        caller=account,
        email=_text(spec, "email"),
        password=_text(spec, "password"),
        country_code=_text(spec, "country_code"),
        child=bool(_flag(spec, "isChild")),
        unlimited=_flag(spec, "unlimited"),
        profile={name: _text(spec, name) for name in PROFILE_FIELDS if name in spec},
    )
    return {"id": new_id, "active": 1}


@endpoint
async def get_account(platform, account, request, body):
    return {"account": account_fields(await sub_accounts.get_account(platform, account=account))}


@endpoint
async def list_sub_accounts(platform, account, request, body):
    found = await sub_accounts.list_sub_accounts(platform, account=account)
    return {"sub-accounts": XmlItems("sub-account", [sub_account_fields(s) for s in found])}


@endpoint
async def get_sub_account(platform, account, request, body):
    found = await sub_accounts.get_sub_account(
        platform, account=account, sub_account_id=path_id(request)
    )
    return {"sub-account": sub_account_fields(found)}


@endpoint
async def unlock_sub_account(platform, account, request, body):
    await sub_accounts.unlock_sub_account(
        platform, account=account, sub_account_id=path_id(request)
    )
    return {"state": "unlocked"}


routes = [
    Route("/account", get_account, methods=["GET"]),
    Route("/account", create_account, methods=["POST"]),
    Route("/account/{id}/unlock", unlock_sub_account, methods=["GET"]),
    Route("/sub-accounts", list_sub_accounts, methods=["GET"]),
    Route("/sub-accounts/{id}", get_sub_account, methods=["GET"]),
]
