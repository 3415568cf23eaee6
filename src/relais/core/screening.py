"""The one screening pipeline: which recipients of a send are dropped, and under which counter.

Every kind of send decides through it: single and bulk sends to numbers, the survey of a list
campaign and the re-check of each of its pages in its write transaction. A recipient meets the
filters in this order and is counted once, under the first that drops it (the counters are the
columns of a campaign, `COUNTERS`):

1. `invalid`: not a phone number (normalized by the caller, core.phone);
2. `duplicated`: a number already met in this send (the caller keeps the numbers seen);
3. `not_allowed`: a country the account may not send to;
4. `blacklisted`: on the account's blacklist (STOP);
5. `npai`: on the account's NPAI list, or a list contact a receipt flagged;
6. `invalid`: a text merged for one contact longer than the allowed parts (list campaigns);
7. `flood`: the anti-flood limits (`FloodLimits`) of messages per number in the hour;
8. `country_limit`: beyond a monthly country cap; only messages that will go out (queued)
   use a cap, an unroutable one fails at once (`Screening.apply_country_caps`, `CapRoom`).

Steps 3 to 7 are `Screening.verdict`; 1, 2 and 8 need the send's own state (the numbers seen,
the room left in each cap), which the caller holds. Pure: what the database says about a
number (listed, flood counts, cap usage) is read by the caller and passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from relais.core.status import MessageStatus

__all__ = [
    "COUNTERS",
    "HOUR_MS",
    "CapRoom",
    "CapScope",
    "FloodLimits",
    "Screening",
]

R = TypeVar("R")

BLACKLISTED: Final = "blacklisted"
DUPLICATED: Final = "duplicated"
NPAI: Final = "npai"
INVALID: Final = "invalid"
NOT_ALLOWED: Final = "not_allowed"
FLOOD: Final = "flood"
COUNTRY_LIMIT: Final = "country_limit"
# What a send counts of the recipients it dropped: the campaign's columns, in their order.
COUNTERS: Final = (BLACKLISTED, DUPLICATED, NPAI, INVALID, NOT_ALLOWED, FLOOD, COUNTRY_LIMIT)

HOUR_MS: Final = 3_600_000
_QUEUED: Final = MessageStatus.QUEUED.value


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Anti-flood, per account and destination: messages within an hour (`per_hour`) and
    with the same text (`same_text`); 0 turns a limit off."""

    per_hour: int = 0
    same_text: int = 0

    @property
    def on(self) -> bool:
        return bool(self.per_hour or self.same_text)

    def window(self, due_ms: int) -> tuple[int, int] | None:
        """The due times that count against a message due at `due_ms` (the open interval of
        an hour either side), or None when off."""
        if not self.on:
            return None
        return due_ms - HOUR_MS, due_ms + HOUR_MS

    def floods(self, total: int, same: int) -> bool:
        """Whether one more message, after `total` of which `same` had its text, is too many."""
        return bool(
            (self.per_hour and total >= self.per_hour)
            or (self.same_text and same >= self.same_text)
        )

    def floods_texts(self, by_text: Mapping[str, int] | None, text: str) -> bool:
        """`floods` for a number's recent messages counted per text ({text: messages})."""
        if not by_text:
            return False
        return self.floods(sum(by_text.values()), by_text.get(text, 0))


@dataclass(frozen=True, slots=True)
class CapScope:
    """Caps checked against one usage counter: the account's own, or its parent's (which
    counts the parent and all its sub-accounts)."""

    account_id: int
    limits: Mapping[str, int]


class CapRoom:
    """What each capped country may still take in a send, used up message by message."""

    __slots__ = ("left", "taken")

    def __init__(self, left: dict[str, int]) -> None:
        self.left = left
        self.taken: dict[str, int] = {}

    def take(self, country: str) -> bool:
        """Use one message of the country's room; False (nothing used) when it is full."""
        taken = self.taken.get(country, 0)
        if taken >= self.left.get(country, 0):
            return False
        self.taken[country] = taken + 1
        return True


@dataclass(frozen=True, slots=True)
class Screening:
    """The rules of one send, built once: the countries the account may send to (None:
    every one), the anti-flood limits and the monthly country caps."""

    allowed_countries: frozenset[str] | None = None
    limits: FloodLimits = FloodLimits()
    cap_scopes: tuple[CapScope, ...] = ()

    def verdict(
        self,
        country: str,
        listed: bool = False,
        unreachable: bool = False,
        fits: bool = True,
        flooded: bool = False,
    ) -> str | None:
        """The counter of the filter that drops a recipient (steps 3 to 7 of the module's
        order), or None when it passes them all. `listed`: on the blacklist; `unreachable`:
        on the NPAI list; `fits`: its text within the allowed parts; `flooded`: the
        anti-flood limits stop it (`FloodLimits.floods`)."""
        allowed = self.allowed_countries
        if allowed is not None and country not in allowed:
            return NOT_ALLOWED
        if listed:
            return BLACKLISTED
        if unreachable:
            return NPAI
        if not fits:
            return INVALID
        if flooded:
            return FLOOD
        return None

    # --- monthly country caps -----------------------------------------------------------------

    @property
    def capped_countries(self) -> frozenset[str]:
        return frozenset(c for scope in self.cap_scopes for c in scope.limits)

    def usage_keys(self, countries: Iterable[str]) -> list[tuple[int, str]]:
        """The counters a send touches: (scope account, country) for each capped country
        sent to."""
        if not self.cap_scopes:
            return []
        wanted = set(countries)
        return [
            (scope.account_id, country)
            for scope in self.cap_scopes
            for country in scope.limits
            if country in wanted
        ]

    def cap_room(self, used: Mapping[tuple[int, str], int]) -> dict[str, int]:
        """Messages each capped country may still take, the tightest of the account's
        scopes, given what each counter has `used` this month."""
        room: dict[str, int] = {}
        for scope in self.cap_scopes:
            for country, limit in scope.limits.items():
                left = max(limit - used.get((scope.account_id, country), 0), 0)
                room[country] = min(room.get(country, left), left)
        return room

    def usage_of(self, counts: Mapping[str, int]) -> dict[tuple[int, str], int]:
        """What messages counted per country add to each of the account's cap counters."""
        return {
            (scope.account_id, country): counts[country]
            for scope in self.cap_scopes
            for country in scope.limits
            if counts.get(country)
        }

    def apply_country_caps(
        self,
        rows: list[R],
        used: Mapping[tuple[int, str], int],
        *,
        country_of: Callable[[R], str],
        status_of: Callable[[R], str],
    ) -> tuple[list[R], dict[tuple[int, str], int], int]:
        """The rows within the monthly country caps, what they add to each counter, and how
        many were beyond a cap (`country_limit`). Only queued messages use a cap; the getters
        read a row's country and message status."""
        if not self.cap_scopes:
            return rows, {}, 0
        capped = self.capped_countries
        room = CapRoom(self.cap_room(used))
        within = []
        limited = 0
        for row in rows:
            country = country_of(row)
            if country in capped and status_of(row) == _QUEUED and not room.take(country):
                limited += 1
                continue
            within.append(row)
        return within, self.usage_of(room.taken), limited
