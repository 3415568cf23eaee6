"""GET /v1/me (§2.4): who the key belongs to and its credits, in SMS and in euros."""

from __future__ import annotations

from typing import Any

from relais.api.smspartner.endpoint import Fields, endpoint
from relais.api.smspartner.money import CURRENCY, euros_text
from relais.services import credits, sub_accounts
from relais.services.platform import AccountRef, Platform


@endpoint
async def me(platform: Platform, account: AccountRef, fields: Fields) -> dict[str, Any]:
    details = await sub_accounts.get_account(platform, account=account)
    balance = await credits.balance(platform, account_id=account.billing_account_id)
    return {
        "user": {
            "username": details.email,
            "firstname": details.profile["firstname"],
            "lastname": details.profile["lastname"],
        },
        "credits": {
            "creditSms": balance,
            "creditSmsECO": balance,
            "creditHlr": 0,
            "toSend": 0,
            "balance": euros_text(balance),
            "currency": CURRENCY,
        },
    }
