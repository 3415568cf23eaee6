"""The SMPP connector's pure pacing policies: the submit rate cap and the backoffs."""

from __future__ import annotations

import random

import pytest

from relais.delivery.connectors.smpp.pacing import Pacer, ReconnectBackoff, RetryBackoff


def test_pacer_spaces_submits_at_the_cap() -> None:
    pacer = Pacer(cap=10.0, slowdown=0.5)

    waits = [pacer.reserve(0.0) for _ in range(5)]

    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3])  # one in the bucket, then 10/s


def test_pacer_throttle_cuts_once_per_overload_and_recovers() -> None:
    pacer = Pacer(cap=100.0, slowdown=0.5)
    pacer.throttled(1.0, sent_at=0.9)
    pacer.throttled(1.2, sent_at=0.95)  # sent before the cut: the same overload
    assert pacer.rate == 50.0 and pacer.slowed
    pacer.throttled(1.3, sent_at=1.1)  # sent at the new rate, still too fast
    assert pacer.rate == 25.0

    pacer.reserve(3.4)
    assert pacer.rate == pytest.approx(25 * 1.1**2)  # 10 % more per quiet second
    pacer.reserve(30.0)
    assert pacer.rate == 100.0 and not pacer.slowed


def test_pacer_without_cap_limits_at_the_observed_rate_then_lifts() -> None:
    pacer = Pacer(cap=None, slowdown=0.5)
    for i in range(1000):
        assert pacer.reserve(i / 1000) == 0.0
    pacer.reserve(1.0)

    pacer.throttled(1.0, sent_at=0.999)
    assert pacer.rate == pytest.approx(500, rel=0.01)
    pacer.reserve(5.0)
    assert pacer.rate == pytest.approx(500 * 1.1**4, rel=0.01)
    pacer.reserve(20.0)
    assert pacer.rate is None and pacer.reserve(20.0) == 0.0


def test_retry_backoff_doubles_to_the_maximum_and_resets() -> None:
    backoff = RetryBackoff(initial=1.0, maximum=5.0)
    delays = []
    for second in range(5):
        backoff.failed(float(second))
        backoff.failed(second + 0.1)  # a burst counts once
        delays.append(backoff.delay_s)

    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.succeeded(6.0)
    assert backoff.delay_s == 5.0  # too soon: refusals may still be coming
    backoff.succeeded(10.0)
    assert backoff.delay_s == 1.0


def test_reconnect_backoff_is_jittered_within_bounds() -> None:
    backoff = ReconnectBackoff(1.0, 60.0, random.Random(1))

    delays = [backoff.next_delay() for _ in range(10)]

    assert delays[0] == 1.0
    assert all(min(60, 2**n) / 2 <= d <= min(60, 2**n) for n, d in enumerate(delays[1:], 1))
    assert max(delays) <= 60
    backoff.reset()
    assert backoff.next_delay() == 1.0
