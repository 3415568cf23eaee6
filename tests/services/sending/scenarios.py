"""What the sending tests share: a fixed Tuesday, three numbers, and small helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from tests.support import fetch_value

from relais.core.schedule import PARIS
from relais.services import opt_outs
from relais.services.opt_outs import OptOutContact
from relais.services.platform import Platform
from relais.services.sending.numbers import Recipient, Submission
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts, messages

TUESDAY = datetime(2026, 7, 7, 10, 0, tzinfo=PARIS)
A, B, C = "33612345601", "33612345602", "33612345603"


def at(platform: Platform, moment: datetime) -> None:
    platform.clock = lambda: moment


def configure(platform: Platform, **changes) -> None:
    platform.settings = replace(platform.settings, **changes)


def submission(*numbers: str, text: str = "Hello", **options) -> Submission:
    return Submission(text=text, recipients=[Recipient(n) for n in numbers], **options)


async def message_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(messages))


async def balance_and_ledger(platform, account_id: int) -> tuple[int, int]:
    balance = await fetch_value(
        platform, select(accounts.c.balance).where(accounts.c.id == account_id)
    )
    return balance, await platform.db.read(lambda conn: ledger_sum(conn, account_id))


async def add_opt_outs(platform, customer, kind: str, *numbers: str) -> None:
    contacts = [OptOutContact(n) for n in numbers]
    await opt_outs.add_opt_outs(platform, account=customer.account, kind=kind, contacts=contacts)
