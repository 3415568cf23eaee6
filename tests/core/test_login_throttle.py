"""The login throttle's arithmetic: failures counted in a sliding window, a lockout after the
last allowed one, success clearing an account's count, and memory pruned."""

from __future__ import annotations

from relais.core import login_throttle
from relais.core.login_throttle import LoginThrottle


def test_the_failure_that_reaches_the_limit_locks_the_key():
    throttle = LoginThrottle(max_failures=3, window_s=60, lockout_s=30)
    throttle.failed(["account:a"], 0)
    throttle.failed(["account:a"], 1)
    assert throttle.locked_for(["account:a"], 2) == 0
    throttle.failed(["account:a"], 2)
    assert throttle.locked_for(["account:a"], 2) == 30
    assert throttle.locked_for(["account:b", "account:a"], 12) == 20
    assert throttle.locked_for(["account:a"], 32) <= 0


def test_failures_older_than_the_window_do_not_count():
    throttle = LoginThrottle(max_failures=3, window_s=10, lockout_s=30)
    for moment in (0, 5, 11, 16):
        throttle.failed(["address:1.2.3.4"], moment)
    assert throttle.locked_for(["address:1.2.3.4"], 16) == 0


def test_a_success_clears_the_count_of_its_keys():
    throttle = LoginThrottle(max_failures=2, window_s=60, lockout_s=30)
    throttle.failed(["account:a"], 0)
    throttle.succeeded(["account:a"])
    throttle.failed(["account:a"], 1)
    assert throttle.locked_for(["account:a"], 1) == 0


def test_keys_without_recent_failures_are_forgotten(monkeypatch):
    monkeypatch.setattr(login_throttle, "_PRUNE_ABOVE", 10)
    throttle = LoginThrottle(max_failures=5, window_s=10, lockout_s=30)
    for n in range(10):
        throttle.failed([f"address:{n}"], 0)
    throttle.failed(["address:late"], 100)
    assert list(throttle._failures) == ["address:late"]
