"""
The decisions taken on each submit_sm, without I/O: the clock is passed in (seconds of a
monotonic clock), so every rule can be tested with made-up times.

The order is the session's: a cut link (disconnect_after) answers nothing; no_response
answers nothing; a retry recognised by its user_message_reference gets its first id back
before any other rule runs (the carrier already holds the message, so neither throttling nor
an error applies again); then throttling; then submit_error; then the submit is accepted.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeAlias

from relais.smpp.segmentation import Fragment
from relais.smsc_simulator.config import SimulatorConfig

__all__ = ["DedupeKey", "Deduplicator", "SubmitRules", "TokenBucket", "dedupe_key"]

# (system_id, source, destination, user_message_reference, part reference, part number)
DedupeKey: TypeAlias = tuple[str, str, str, int, int, int]


class TokenBucket:
    """At most `rate` submits a second, in bursts of at most `rate`: a carrier's limit.

    Refusals take no token, so a client retrying too fast does not lock itself out.
    """

    __slots__ = ("_last", "_tokens", "rate")

    def __init__(self, rate: int, now: float) -> None:
        self.rate = rate
        self._tokens = float(rate)
        self._last = now

    def take(self, now: float) -> bool:
        tokens = self._tokens + (now - self._last) * self.rate
        self._last = now
        if tokens > self.rate:
            tokens = float(self.rate)
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True


class Deduplicator:
    """Message ids of submits that carried a user_message_reference, for `window_s`.

    Keys are per account, not per session: the retry of a submit whose response was lost
    comes on a new connection.
    """

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._seen: OrderedDict[DedupeKey, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def get(self, key: DedupeKey, now: float) -> str | None:
        self._expire(now)
        found = self._seen.get(key)
        return None if found is None else found[0]

    def put(self, key: DedupeKey, message_id: str, now: float) -> None:
        self._seen[key] = (message_id, now)
        self._seen.move_to_end(key)

    def _expire(self, now: float) -> None:
        seen, limit = self._seen, now - self.window_s
        while seen:
            key, (_, at) = next(iter(seen.items()))
            if at >= limit:
                return
            del seen[key]


def dedupe_key(
    system_id: str, source: str, destination: str, reference: int, fragment: Fragment | None
) -> DedupeKey:
    """The key of a submit: the parts of one long message share a reference, not a key."""
    if fragment is None:
        return system_id, source, destination, reference, 0, 0
    return system_id, source, destination, reference, fragment.reference, fragment.seqnum


class SubmitRules:
    """Throttling, errors and link cuts as the config asks, with their own counts."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._buckets: dict[str, TokenBucket] = {}
        self._error_candidates = 0
        self._cuts = 0

    def throttled(self, system_id: str, now: float) -> bool:
        """Whether this submit goes over the account's rate."""
        rate = self.config.throttle_per_second
        if rate is None:
            return False
        bucket = self._buckets.get(system_id)
        if bucket is None:
            bucket = self._buckets[system_id] = TokenBucket(rate, now)
        return not bucket.take(now)

    def error_for(self, destination: str) -> int | None:
        """The command_status to refuse this submit with, or None to accept it.

        `submit_error_every` counts only the submits the destination filter lets through,
        so "every 3rd to 336..." means the 3rd, 6th, ... submit to that number.
        """
        config = self.config
        status = config.submit_error
        if status is None:
            return None
        targets = config.submit_error_destinations
        if targets and destination not in targets:
            return None
        every = config.submit_error_every
        if every is None:
            return status
        self._error_candidates += 1
        return status if self._error_candidates % every == 0 else None

    def cut_now(self, submits_on_connection: int) -> bool:
        """Whether the link goes down at this submit (the Nth of its connection)."""
        config = self.config
        if submits_on_connection != config.disconnect_after:
            return False
        if self._cuts and not config.disconnect_after_repeat:
            return False
        self._cuts += 1
        return True
