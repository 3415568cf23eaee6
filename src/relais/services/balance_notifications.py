"""Low-balance notification settings (SMSFactor GET/PUT /notification/balance, §1.10): the
trigger under which the account's BALANCE_ALERT webhooks are told, checked by the ledger in
each debit's transaction (store.balance_alerts). docs/webhooks.md, "Balance alerts".

Relais sends no e-mail nor SMS itself: `alert_email`, `alert_gsm`, `email` and `phone_number`
are kept and answered for the clients that set them. An account that never set anything
reads trigger "0" (no alert), both flags "0", and empty e-mail and phone number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from relais.core.errors import InvalidField, MissingField
from relais.core.instant import to_ms
from relais.core.integers import whole_number
from relais.services.accounts import EMAIL
from relais.services.platform import Platform
from relais.store import balance_alerts as store
from relais.store.balance_alerts import FIELDS

MAX_TRIGGER = 10**12  # more credits than any account holds: a larger number is a typo
_PHONE = re.compile(r"\+?([0-9]{6,15})")
_DEFAULT: dict[str, Any] = {
    "alert_trigger": 0,
    "alert_email": False,
    "alert_gsm": False,
    "email": "",
    "phone_number": "",
}


def _trigger(raw: object) -> int:
    return whole_number(raw, "alert_trigger (credits)", maximum=MAX_TRIGGER)


def _flag(field: str, raw: object) -> bool:
    if not isinstance(raw, bool) and raw in (0, 1, "0", "1"):
        return raw in (1, "1")
    raise InvalidField(f"{field}: {raw!r} is not 0 or 1")


def _email(raw: object) -> str:
    text = raw.strip() if isinstance(raw, str) else None
    if text is not None and (text == "" or (EMAIL.match(text) and len(text) <= 254)):
        return text
    raise InvalidField(f"email: {raw!r} is not an e-mail address")


def _phone(raw: object) -> str:
    text = raw.strip() if isinstance(raw, str) else None
    if text == "":
        return ""
    match = _PHONE.fullmatch(text or "")
    if match:
        return match[1]
    raise InvalidField(f"phone_number: {raw!r} is not an international number (digits only)")


def normalize(changes: Mapping[str, object]) -> dict[str, Any]:
    """The given settings as stored, every one checked; InvalidField names the first bad."""
    if not changes:
        raise MissingField(f"Give at least one of {', '.join(FIELDS)}")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidField(f"Unknown notification fields: {', '.join(unknown)}")
    checks = {
        "alert_trigger": _trigger,
        "alert_email": lambda raw: _flag("alert_email", raw),
        "alert_gsm": lambda raw: _flag("alert_gsm", raw),
        "email": _email,
        "phone_number": _phone,
    }
    return {name: checks[name](raw) for name, raw in changes.items()}


def as_reply(stored: Mapping[str, Any]) -> dict[str, str]:
    """The SMSFactor shape: every value a string, flags "0"/"1"."""
    return {
        "alert_trigger": str(stored["alert_trigger"]),
        "alert_email": "1" if stored["alert_email"] else "0",
        "alert_gsm": "1" if stored["alert_gsm"] else "0",
        "email": stored["email"],
        "phone_number": stored["phone_number"],
    }


async def get_notification(platform: Platform, *, account_id: int) -> dict[str, str]:
    """The account's settings; the defaults when it never set any."""
    stored = await platform.db.read(lambda conn: store.get_settings(conn, account_id))
    return as_reply(stored or _DEFAULT)


async def set_notification(
    platform: Platform, *, account_id: int, changes: Mapping[str, object]
) -> dict[str, str]:
    """Change the given settings only, all checked before anything is stored; all of them
    afterwards. A change re-arms the alert."""
    values = normalize(changes)
    now_ms = to_ms(platform.clock())
    stored = await platform.db.write(
        lambda conn: store.put_settings(conn, account_id=account_id, changes=values, now_ms=now_ms)
    )
    return as_reply(stored)
