"""What the Skycore tests share: the endpoint, a valid US number in place of the seed's
placeholder, and one call of an action."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from tests.support import fetch_value

from relais.store.tables import campaigns, credit_ledger, messages

PATH = "/skycore/v2"
MOBILE = "+12025550123"  # the seed's +10000000001 is in no numbering plan
MSISDN = MOBILE.removeprefix("+")
OTHER = "+12025550188"
ALL_TIME = {"date_start": "2000-01-01 00:00:00", "date_end": "2099-12-31 23:59:59"}


def key(token: str) -> dict[str, str]:
    return {"x-api-key": token, "content-type": "application/json"}


async def call(client: httpx.AsyncClient, token: str, body: Any) -> dict[str, Any]:
    """POST one action; every Skycore reply is HTTP 200 JSON."""
    reply = await client.post(PATH, json=body, headers=key(token))
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    return reply.json()


def sms(**fields: Any) -> dict[str, Any]:
    return {
        "action": "sendsms",
        "message-text": "Hello",
        "to": MOBILE,
        "from": "00000",
        **fields,
    }


async def stored(platform) -> tuple[int, int, int]:
    """(campaigns, messages, ledger rows): what a refused request must leave unchanged."""
    return (
        await fetch_value(platform, select(func.count()).select_from(campaigns)),
        await fetch_value(platform, select(func.count()).select_from(messages)),
        await fetch_value(platform, select(func.count()).select_from(credit_ledger)),
    )
