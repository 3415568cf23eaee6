"""Number lookups (SMSFactor "HLR", POST /lookup) answered from the numbering plan.

No lookup connector exists yet, so the live status of a number (in service, ported, roaming,
its current network) is unknown; what the plan tells (country, number type, the network the
range was allocated to) is real. Each valid number costs one credit; the whole request is one
ledger row, taken in the same transaction as the balance check. Invalid numbers are free.
The credits come from the balance that pays for the account's sends (its parent's, for an
unlimited sub-account)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relais.core.errors import InvalidField, MissingField
from relais.core.instant import to_ms
from relais.core.numbering import NumberPlanInfo, describe_number
from relais.services.accounts import refuse_debit
from relais.services.platform import AccountRef, Platform
from relais.store import ledger
from relais.store.group_debits import Debit

MAX_NUMBERS = 500
CREDITS_PER_NUMBER = 1


@dataclass(frozen=True, slots=True)
class LookupReport:
    cost: int
    credits: int  # the balance after the debit
    numbers: tuple[NumberPlanInfo, ...]  # one per distinct number asked, in the asked order


async def lookup(
    platform: Platform, *, account: AccountRef, numbers: Sequence[str]
) -> LookupReport:
    """Describe `numbers` and debit one credit per valid one, or raise and take nothing."""
    if not numbers:
        raise MissingField("There is no number to look up")
    if len(numbers) > MAX_NUMBERS:
        raise InvalidField(f"At most {MAX_NUMBERS} numbers per lookup")
    found = _distinct(describe_number(n, account.country) for n in numbers)
    cost = CREDITS_PER_NUMBER * sum(1 for info in found if info.valid)
    now_ms = to_ms(platform.clock())

    def work(conn) -> Debit:
        debit = ledger.take(
            conn,
            account_id=account.billing_account_id,  # the parent, for an unlimited sub-account
            amount=cost,
            now_ms=now_ms,
            reason=ledger.LedgerReason.LOOKUP,
            note=f"{cost} number(s) looked up",
        )
        if debit is None:
            raise refuse_debit(
                conn,
                account.billing_account_id,
                f"This lookup costs {cost} credit(s), more than the balance",
            )
        return debit

    debit = await platform.db.write(work, row_order=account.billing_account_id)
    balance = debit.balance
    return LookupReport(cost=cost, credits=balance, numbers=tuple(found))


def _distinct(infos) -> list[NumberPlanInfo]:
    """The same number asked twice (in any spelling) is looked up and charged once."""
    seen: set[str] = set()
    result = []
    for info in infos:
        key = info.msisdn if info.valid else "raw:" + info.given
        if key not in seen:
            seen.add(key)
            result.append(info)
    return result
