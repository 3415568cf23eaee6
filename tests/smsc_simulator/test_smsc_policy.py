"""The per-submit rules and the ids, with made-up times (no server)."""

from __future__ import annotations

import random
import uuid

import pytest

from relais.smpp import Fragment
from relais.smsc_simulator import SimulatorConfig
from relais.smsc_simulator.ids import MessageIds, receipt_id
from relais.smsc_simulator.policy import Deduplicator, SubmitRules, TokenBucket, dedupe_key


def test_policy_token_bucket_allows_rate_then_refills() -> None:
    bucket = TokenBucket(5, now=100.0)
    assert [bucket.take(100.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(100.1) is False  # half a token
    assert bucket.take(100.2) is True  # one token after 0.2 s at 5/s
    assert [bucket.take(110.0) for _ in range(6)] == [True] * 5 + [False]  # burst stays 5


def test_policy_throttle_is_per_system_id() -> None:
    rules = SubmitRules(SimulatorConfig(throttle_per_second=1))
    assert rules.throttled("a", 0.0) is False
    assert rules.throttled("a", 0.0) is True
    assert rules.throttled("b", 0.0) is False


def test_policy_error_every_nth_counts_only_listed_destinations() -> None:
    rules = SubmitRules(
        SimulatorConfig(submit_error=0x45, submit_error_every=2, submit_error_destinations={"1"})
    )
    seen = [rules.error_for(destination) for destination in ("1", "2", "1", "2", "1", "1")]
    assert seen == [None, None, 0x45, None, None, 0x45]


def test_policy_cut_once_or_every_connection() -> None:
    once = SubmitRules(SimulatorConfig(disconnect_after=2))
    assert [once.cut_now(n) for n in (1, 2, 3)] == [False, True, False]
    assert once.cut_now(2) is False  # a second connection is not cut
    repeat = SubmitRules(SimulatorConfig(disconnect_after=2, disconnect_after_repeat=True))
    assert repeat.cut_now(2) and repeat.cut_now(2)


def test_policy_dedupe_expires_after_window() -> None:
    seen = Deduplicator(window_s=10)
    key = dedupe_key("relais", "Relais", "336", 42, None)
    seen.put(key, "abc", now=0.0)
    assert seen.get(key, now=9.9) == "abc"
    assert seen.get(key, now=10.1) is None
    assert len(seen) == 0


def test_policy_dedupe_key_separates_parts() -> None:
    first = dedupe_key("r", "s", "d", 1, Fragment(7, 3, 1, b""))
    second = dedupe_key("r", "s", "d", 1, Fragment(7, 3, 2, b""))
    assert first != second != dedupe_key("r", "s", "d", 1, None)


@pytest.mark.parametrize("id_format", ["hex", "decimal", "uuid"])
def test_ids_are_fresh_and_differ_between_runs(id_format: str) -> None:
    ids = MessageIds(id_format, random.Random(1))  # type: ignore[arg-type]
    batch = {ids.new() for _ in range(1000)}
    assert len(batch) == 1000
    other = MessageIds(id_format, random.Random(2))  # type: ignore[arg-type]
    assert other.new() not in batch


@pytest.mark.parametrize(
    ("message_id", "id_format", "receipt_format", "expected"),
    [
        ("3039", "hex", "decimal", "12345"),
        ("12345", "decimal", "hex", "3039"),
        ("3039", "hex", "hex", "3039"),
        ("3039", "hex", "same", "3039"),
        (str(uuid.UUID(int=255)), "uuid", "hex", "000000000000000000000000000000ff"),
        (str(uuid.UUID(int=255)), "uuid", "decimal", "255"),
    ],
)
def test_ids_receipt_id_in_another_base(
    message_id: str, id_format: str, receipt_format: str, expected: str
) -> None:
    assert receipt_id(message_id, id_format, receipt_format) == expected  # type: ignore[arg-type]
