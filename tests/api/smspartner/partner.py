"""What the SMSPartner tests share: a fixed clock, stored counts, XML replies as dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import func, select
from tests.support import fetch_value

from relais.core.schedule import PARIS
from relais.store.tables import campaigns, credit_ledger, messages

MOBILE = "+33612345678"
NATIONAL = "0612345678"
MSISDN = "33612345678"
# A Tuesday morning in Paris: inside the marketing window.
TUESDAY = datetime(2026, 7, 7, 10, 0, tzinfo=PARIS)


def at(platform, moment: datetime) -> None:
    platform.clock = lambda: moment


async def stored(platform) -> tuple[int, int, int]:
    """Campaigns, messages and ledger rows: what a refused request must leave as it was."""
    return (
        await fetch_value(platform, select(func.count()).select_from(campaigns)),
        await fetch_value(platform, select(func.count()).select_from(messages)),
        await fetch_value(platform, select(func.count()).select_from(credit_ledger)),
    )


def _value(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    if all(child.tag == "item" for child in children):
        return [_value(child) for child in children]
    return {child.tag: _value(child) for child in children}


def xml_reply(content: bytes) -> dict[str, Any]:
    root = ElementTree.fromstring(content)
    assert root.tag == "response"
    value = _value(root)
    assert isinstance(value, dict)
    return value
