"""Sub-accounts (§2.4) over the shared sub-accounts: POST /v1/subaccount/create,
DELETE /v1/subaccount/remove, GET /v1/subaccount/list, POST /v1/subaccount/credit/add and
/credit/remove. A sub-account is named by its API key (`token`, given once at creation) or by
the `id` the list shows; credits move in euros, turned into whole credits (money.py)."""

from __future__ import annotations

import secrets
from typing import Any, Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, endpoint, page_number, text
from relais.api.smspartner.errors import PartnerError
from relais.api.smspartner.money import CREDIT_EUR, CURRENCY, euros, euros_text
from relais.core.errors import (
    AuthenticationFailed,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
)
from relais.core.integers import parse_whole_number
from relais.services import credits, sub_accounts, tokens
from relais.services.platform import AccountRef, Platform
from relais.services.sub_accounts import SubAccount

PER_PAGE: Final = 20
NOT_AUTHORIZED: Final = 2
CREDIT_REQUIRED: Final = 3
TOKEN_REQUIRED: Final = 4
CREDIT_POSITIVE: Final = 5
SUB_ACCOUNT_NOT_FOUND: Final = 6
SUB_ACCOUNT_NO_CREDIT: Final = 7
MESSAGES: Final = {
    NOT_AUTHORIZED: "Vous n'êtes pas autorisé à gérer des sous-comptes",
    CREDIT_REQUIRED: "Le crédit est requis",
    TOKEN_REQUIRED: "Le tokenSubaccount est requis",
    CREDIT_POSITIVE: "Le crédit doit être supérieur à 0",
    SUB_ACCOUNT_NOT_FOUND: "Sous-compte introuvable",
    SUB_ACCOUNT_NO_CREDIT: "Crédit du sous-compte insuffisant",
}


def _refuse(code: int) -> PartnerError:
    return PartnerError(code, MESSAGES[code])


def _parent(account: AccountRef) -> None:
    if account.parent_id is not None:
        raise _refuse(NOT_AUTHORIZED)


def _actor(account: AccountRef) -> str:
    return f"account:{account.id}"


async def _child(platform: Platform, account: AccountRef, key: str | None) -> SubAccount:
    """The caller's sub-account a key (or id) names; code 4 without one, 6 for any other."""
    if key is None:
        raise _refuse(TOKEN_REQUIRED)
    try:
        child_id = parse_whole_number(key)
        if child_id is None:
            child_id = (await tokens.authenticate_token(platform, key)).id
        return await sub_accounts.get_sub_account(
            platform, account=account, sub_account_id=child_id
        )
    except (AuthenticationFailed, NotFound):
        raise _refuse(SUB_ACCOUNT_NOT_FOUND) from None


def _credits(fields: Fields, name: str) -> int:
    """An amount in euros as whole credits; code 3 without one, 5 when not above zero."""
    raw = text(fields, name)
    if raw is None:
        raise _refuse(CREDIT_REQUIRED)
    try:
        amount = round(float(raw.replace(",", ".")) / CREDIT_EUR)
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        raise _refuse(CREDIT_POSITIVE) from None
    if amount <= 0:
        raise _refuse(CREDIT_POSITIVE)
    return amount


@endpoint
async def create(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    _parent(account)
    parameters = fields.get("parameters")
    if not isinstance(parameters, dict):
        parameters = {}
    initial = _credits(parameters, "creditToAttribute") if "creditToAttribute" in parameters else 0
    if initial and await credits.balance(platform, account_id=account.billing_account_id) < initial:
        raise PartnerError(codes.NO_CREDIT)
    email = text(parameters, "email")
    try:
        child_id = await sub_accounts.open_account(
            platform,
            caller=account,
            email=email,
            password=secrets.token_urlsafe(18),
            child=True,
            unlimited=False,
            profile={name: text(parameters, name) for name in ("firstname", "lastname")},
        )
    except InvalidRequest as exc:
        field = exc.detail.split(":", 1)[0] if ":" in exc.detail else "parameters"
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element(field), exc.detail)]) from None
    token = await tokens.create_token(platform, account_id=child_id, name="smspartner")
    if initial:
        await sub_accounts.transfer_credits(
            platform, actor=_actor(account), parent_id=account.id, child_id=child_id, amount=initial
        )
    return {
        "subaccount": {"email": email, "token": token.value},
        "sendConfirmMailTo": email,
        "parent_email": account.email,
    }


@endpoint
async def remove(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    """The sub-account is locked (its keys refused): its history and credits stay, and
    SMSFactor's GET /account/:id/unlock brings it back."""
    _parent(account)
    child = await _child(
        platform, account, text(fields, "token") or text(fields, "tokenSubaccount")
    )
    if not child.account.active:
        raise _refuse(SUB_ACCOUNT_NOT_FOUND)
    await sub_accounts.lock_sub_account(platform, account=account, sub_account_id=child.account.id)
    return {}


@endpoint
async def list_all(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    _parent(account)
    page = page_number(fields)
    children = [
        c
        for c in await sub_accounts.list_sub_accounts(platform, account=account)
        if c.account.active
    ]
    shown = children[(page - 1) * PER_PAGE : page * PER_PAGE]
    return {
        "total": len(children),
        "nb_per_page": PER_PAGE,
        "page": page,
        "data": [
            {
                "id": child.account.id,
                "email": child.account.email,
                "type": "simple",
                # Keys are stored hashed and shown once, at creation: name it by its id.
                "token": str(child.account.id),
                "createdAt": "",
                "credits": {"balance": euros_text(child.account.balance), "currency": CURRENCY},
            }
            for child in shown
        ],
    }


async def _move(platform: Platform, account: AccountRef, fields: Fields, sign: int) -> dict:
    _parent(account)
    amount = _credits(fields, "credit")
    child = await _child(platform, account, text(fields, "tokenSubaccount"))
    try:
        parent_balance, child_balance = await sub_accounts.transfer_credits(
            platform,
            actor=_actor(account),
            parent_id=account.id,
            child_id=child.account.id,
            amount=sign * amount,
        )
    except InsufficientCredits:
        if sign > 0:
            raise PartnerError(codes.NO_CREDIT) from None
        raise _refuse(SUB_ACCOUNT_NO_CREDIT) from None
    return {
        "credit": euros(parent_balance),
        "subaccountCredit": euros(child_balance),
        "currency": CURRENCY,
    }


@endpoint
async def credit_add(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    return await _move(platform, account, fields, 1)


@endpoint
async def credit_remove(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    return await _move(platform, account, fields, -1)
