"""
How fast the SMPP connector may go: reconnect and retry backoffs, and the submit rate cap.

Pure policies that read no clock (the connector passes the time in), so each is tested alone.
"""

from __future__ import annotations

import math
import random
from typing import Final

__all__ = ["Pacer", "ReconnectBackoff", "RetryBackoff"]


class ReconnectBackoff:
    """Delay before the next connection attempt: doubling from `minimum` to `maximum`, each
    drawn in [d/2, d] so many workers that lost one SMSC do not all come back at once."""

    def __init__(self, minimum: float, maximum: float, rng: random.Random | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.minimum * 2.0 ** min(self.attempt, 32))
        self.attempt += 1
        return max(self.minimum, self._rng.uniform(ceiling / 2, ceiling))

    def reset(self) -> None:
        self.attempt = 0


class RetryBackoff:
    """How long a temporarily refused message waits before it is due again.

    `initial`, doubling while refusals go on, up to `maximum`; back to `initial` once a
    success comes after a quiet spell as long as the current delay. A burst of refusals
    (a whole window answered ESME_RTHROTTLED at once) is one signal: at most one doubling
    per second.
    """

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.level = 0
        self._last_bump = self._last_failure = -math.inf

    @property
    def delay_s(self) -> float:
        return min(self.maximum, self.initial * 2.0 ** max(0, min(self.level - 1, 32)))

    def failed(self, now: float) -> None:
        if now - self._last_bump >= 1.0:
            self.level += 1
            self._last_bump = now
        self._last_failure = now

    def succeeded(self, now: float) -> None:
        if self.level and now - self._last_failure >= self.delay_s:
            self.level = 0


MIN_RATE: Final = 1.0  # submits per second a throttled connector never goes below
_RECOVERY_PER_S: Final = 0.1  # the rate grows this much each second without a throttle
_BURST_S: Final = 0.05  # the bucket holds this many seconds' worth of submits


class Pacer:
    """The submit rate: a token bucket (GCRA) at `cap`, cut by `slowdown` when the SMSC
    throttles, then raised 10 % per second without a throttle, back to the cap.

    As in TCP congestion control, one overload is one cut: a refusal of a submit sent before
    the last cut was already answered by it (a whole window is often refused at once). With
    no cap, a throttle starts limiting at the rate observed just before it, and the limit is
    lifted once the rate grows back past that.
    """

    def __init__(self, cap: float | None, slowdown: float) -> None:
        self.cap, self.slowdown = cap, slowdown
        self.rate: float | None = cap
        self._ceiling: float | None = cap
        self._tat = 0.0
        self._last_cut = -math.inf
        self._last_step = 0.0
        self._meter_start: float | None = None
        self._meter_count = 0
        self._observed = 0.0

    @property
    def slowed(self) -> bool:
        return self.rate is not None and (self.cap is None or self.rate < self.cap)

    def reserve(self, now: float) -> float:
        """Take one submit's token; returns how many seconds to wait before sending it."""
        self._meter(now)
        if self.rate is None:
            return 0.0
        if self.slowed:
            self._recover(now)
            if self.rate is None:
                return 0.0
        interval = 1.0 / self.rate
        tat = max(self._tat, now)
        self._tat = tat + interval
        return max(0.0, tat - now - max(interval, _BURST_S))

    def throttled(self, now: float, sent_at: float) -> None:
        """The SMSC refused as too fast (ESME_RTHROTTLED, ESME_RMSGQFUL) a submit sent at
        `sent_at`."""
        if sent_at < self._last_cut:
            return
        self._last_cut = self._last_step = now
        current = self.rate
        if current is None:
            current = max(self._observed_rate(now), MIN_RATE)
            self._ceiling = current
        self.rate = max(MIN_RATE, current * self.slowdown)

    def _recover(self, now: float) -> None:
        assert self.rate is not None
        steps = math.floor(now - self._last_step)
        if steps < 1:
            return
        self._last_step += steps
        self.rate *= (1 + _RECOVERY_PER_S) ** min(steps, 100)
        if self._ceiling is None or self.rate >= self._ceiling:
            self.rate = self._ceiling = self.cap

    def _meter(self, now: float) -> None:
        if self._meter_start is None:
            self._meter_start = now
        self._meter_count += 1
        elapsed = now - self._meter_start
        if elapsed >= 1.0:
            self._observed = self._meter_count / elapsed
            self._meter_start, self._meter_count = now, 0

    def _observed_rate(self, now: float) -> float:
        if self._meter_start is None:
            return 0.0
        elapsed = now - self._meter_start
        current = self._meter_count / elapsed if elapsed > 0.01 else 0.0
        return max(self._observed, current)
