"""The dispatcher moves queued messages through a connector to a final status, stores what
comes back, and owns each connector through a lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.support import fetch_all, make_customer, wait_until

from relais.core.connector import Receipt
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.delivery.connectors.builtin_carrier import BuiltinCarrier
from relais.delivery.connectors.factory import build_connector
from relais.delivery.dispatcher import Dispatcher
from relais.delivery.worker import ConnectorWorker
from relais.services import delivery_reports
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import claims, outbound
from relais.store import connectors as connector_store
from relais.store import receipts as receipt_store
from relais.store.tables import messages, parked_receipts


def numbers(count: int, base: int = 50000000) -> list[Recipient]:
    return [Recipient(f"336{base + i:08d}") for i in range(count)]


async def statuses(platform) -> list[str]:
    rows = await fetch_all(platform, select(messages.c.status).order_by(messages.c.id))
    return [r[0] for r in rows]


def dispatcher_with(platform, simulator: BuiltinCarrier, **options) -> Dispatcher:
    dispatcher = Dispatcher(platform, factory=build_connector, builtin=simulator, **options)
    platform.on_queued = dispatcher.wake
    return dispatcher


async def test_queued_messages_are_delivered_through_the_simulator(platform):
    customer = await make_customer(platform, credits=1000)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(120)))
    dispatcher = dispatcher_with(
        platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=10), batch_size=50
    )
    await dispatcher.start()
    try:

        async def all_delivered() -> bool:
            return set(await statuses(platform)) == {"delivered"}

        await wait_until(all_delivered)
    finally:
        await dispatcher.stop()
    rows = await fetch_all(platform, select(messages.c.attempts, messages.c.connector))
    assert {r.attempts for r in rows} == {1}
    assert {r.connector for r in rows} == {"simulator"}


async def test_outcome_mix_decides_final_statuses(platform):
    customer = await make_customer(platform, credits=1000)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(200)))
    simulator = BuiltinCarrier(
        clock=platform.clock,
        receipt_delay_ms=0,
        outcomes={"delivered": 0.5, "not_delivered": 0.3, "expired": 0.2},
        seed=7,
    )
    dispatcher = dispatcher_with(platform, simulator, batch_size=100)
    await dispatcher.start()
    try:

        async def all_final() -> bool:
            return not set(await statuses(platform)) & {"queued", "sending", "sent"}

        await wait_until(all_final)
    finally:
        await dispatcher.stop()
    final = await statuses(platform)
    assert set(final) == {"delivered", "not_delivered", "expired"}
    assert 60 < final.count("delivered") < 140


async def test_multi_part_message_is_delivered_when_all_parts_are(platform):
    customer = await make_customer(platform, credits=1000)
    await send(platform, account=customer.account, submission=Submission("x" * 400, numbers(3)))
    dispatcher = dispatcher_with(platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=5))
    await dispatcher.start()
    try:

        async def all_delivered() -> bool:
            return set(await statuses(platform)) == {"delivered"}

        await wait_until(all_delivered)
    finally:
        await dispatcher.stop()
    from relais.store.tables import message_parts

    parts = await fetch_all(platform, select(message_parts.c.message_id, message_parts.c.status))
    assert len(parts) == 9 and {p.status for p in parts} == {"delivered"}


async def test_scheduled_messages_wait_for_their_time(platform):
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    platform.clock = lambda: now
    customer = await make_customer(platform, credits=10)
    await send(
        platform,
        account=customer.account,
        submission=Submission("Later", numbers(2), delay="2030-01-01T13:00:00+00:00"),
    )
    worker = ConnectorWorker(platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=0))
    assert await worker.dispatch_once() == 0
    assert await statuses(platform) == ["queued", "queued"]
    now = now + timedelta(hours=1)
    assert await worker.dispatch_once() == 2
    assert set(await statuses(platform)) == {"sent"}


async def claim(platform, now_ms: int, lease_ms: int = 1000):
    return await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=now_ms, limit=10, lease_ms=lease_ms
        )
    )


async def test_claims_expire_so_a_dead_worker_loses_nothing(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(3)))
    start = to_ms(datetime.now(UTC))
    first = await claim(platform, start)
    assert len(first) == 3
    # The worker dies here. Within the lease nobody else takes the rows...
    assert await claim(platform, start + 500) == []
    # ...after it, they are claimed again, with the attempt counted.
    after = await claim(platform, start + 1500)
    assert sorted(m.id for m in after) == sorted(m.id for m in first)
    assert {m.attempts for m in after} == {2}


async def test_status_never_moves_backwards(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    now = to_ms(datetime.now(UTC))
    [message] = await claim(platform, now)
    sent = outbound.SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=("c1",))
    await platform.db.write(lambda conn: outbound.record_submits(conn, [sent], now_ms=now))
    delivered = Receipt("sim", ("c1",), MessageStatus.DELIVERED, now + 1)
    moved, _ = await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, [delivered]))
    assert moved == 1
    # A late SENT and a contradicting receipt change nothing.
    again = outbound.SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=())
    await platform.db.write(lambda conn: outbound.record_submits(conn, [again], now_ms=now + 2))
    expired = Receipt("sim", ("c1",), MessageStatus.EXPIRED, now + 3)
    moved, _ = await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, [expired]))
    assert moved == 0
    assert await statuses(platform) == ["delivered"]


async def submitted(platform, *carrier_ids: str) -> int:
    """One message claimed and recorded as sent with these part ids; its id."""
    now = to_ms(datetime.now(UTC))
    [message] = await claim(platform, now)
    outcome = outbound.SubmitOutcome(
        message.id, "simulator", MessageStatus.SENT, carrier_ids=carrier_ids
    )
    await platform.db.write(lambda conn: outbound.record_submits(conn, [outcome], now_ms=now))
    return message.id


async def test_receipt_matches_an_id_written_in_the_other_base(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    await submitted(platform, "12345")
    receipt = Receipt("simulator", ("3039", "12345"), MessageStatus.DELIVERED, 1)
    moved, unmatched = await platform.db.write(
        lambda conn: receipt_store.apply_receipts(conn, [receipt])
    )
    assert (moved, unmatched) == (1, [])
    stranger = Receipt("simulator", ("ffff",), MessageStatus.DELIVERED, 1)
    moved, unmatched = await platform.db.write(
        lambda conn: receipt_store.apply_receipts(conn, [stranger])
    )
    assert (moved, unmatched) == (0, [stranger])


async def test_failed_part_decides_a_multi_part_message_at_once(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("x" * 300, numbers(1)))
    await submitted(platform, "a1", "a2")
    failed = Receipt("simulator", ("a2",), MessageStatus.NOT_DELIVERED, 5, "err:001")
    await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, [failed]))
    assert await statuses(platform) == ["not_delivered"]


async def test_one_delivered_part_settles_after_the_grace_period(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("x" * 300, numbers(1)))
    await submitted(platform, "b1", "b2")
    last = Receipt("simulator", ("b2",), MessageStatus.DELIVERED, 1_000)
    await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, [last]))
    assert await statuses(platform) == ["sent"]
    early = await platform.db.write(
        lambda conn: receipt_store.settle_partial_deliveries(conn, before_ms=1_000)
    )
    assert early == 0
    settled = await platform.db.write(
        lambda conn: receipt_store.settle_partial_deliveries(conn, before_ms=1_001)
    )
    assert settled == 1
    assert await statuses(platform) == ["delivered"]


async def test_messages_without_receipt_expire_after_validity(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    await submitted(platform, "e1")
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1, 7)))
    now = to_ms(datetime.now(UTC))
    kept = await platform.db.write(
        lambda conn: outbound.expire_unreported(conn, submitted_before_ms=now - 1000, now_ms=now)
    )
    assert kept == 0
    expired = await platform.db.write(
        lambda conn: outbound.expire_unreported(conn, submitted_before_ms=now + 1, now_ms=now)
    )
    assert expired == 1
    assert sorted(await statuses(platform)) == ["expired", "queued"]


async def test_temporary_failure_requeues_with_backoff(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    now = to_ms(datetime.now(UTC))
    [message] = await claim(platform, now)
    retry = outbound.SubmitOutcome(
        message.id, "simulator", MessageStatus.QUEUED, error="ESME_RTHROTTLED", retry_after_ms=5000
    )
    await platform.db.write(lambda conn: outbound.record_submits(conn, [retry], now_ms=now))
    assert await statuses(platform) == ["queued"]
    assert await claim(platform, now + 4000) == []
    assert [m.id for m in await claim(platform, now + 5000)] == [message.id]


async def test_a_bind_lease_has_one_owner_at_a_time(platform):
    def take(owner: str, now_ms: int):
        return platform.db.write(
            lambda conn: connector_store.acquire_lease(
                conn, connector="smsc", owner=owner, now_ms=now_ms, ttl_ms=1000
            )
        )

    assert await take("a", 0) is True
    assert await take("b", 500) is False
    assert await take("a", 900) is True  # renewal
    assert await take("b", 1500) is False
    assert await take("b", 1901) is True  # a's lease lapsed
    assert await take("a", 2000) is False


async def test_two_dispatchers_never_run_the_same_connector(platform):
    first = dispatcher_with(platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=0))
    second = dispatcher_with(platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=0))
    await first.start()
    await second.start()
    try:
        assert list(first.running) == ["simulator"]
        assert list(second.running) == []
    finally:
        await first.stop()
        await second.stop()


async def test_connector_definitions_apply_without_restart(platform):
    from relais.services import connectors as connector_service

    dispatcher = dispatcher_with(
        platform, BuiltinCarrier(clock=platform.clock, receipt_delay_ms=0), reconcile_s=0.05
    )
    await dispatcher.start()
    try:
        await connector_service.put_connector(
            platform, actor="test", name="lab", kind="simulator", settings={"receipt_delay_ms": 0}
        )

        async def running(names: set[str]) -> bool:
            return set(dispatcher.running) == names

        await wait_until(lambda: running({"simulator", "lab"}))
        first = dispatcher.running["lab"].worker.connector
        await connector_service.put_connector(
            platform, actor="test", name="lab", kind="simulator", settings={"receipt_delay_ms": 5}
        )

        async def restarted() -> bool:
            current = dispatcher.running.get("lab")
            return current is not None and current.worker.connector is not first

        await wait_until(restarted)
        await connector_service.remove_connector(platform, actor="test", name="lab")
        await wait_until(lambda: running({"simulator"}))
    finally:
        await dispatcher.stop()


async def test_receipts_applied_together_are_all_counted(platform):
    """The count behind relais_receipts_applied_total, on PostgreSQL too (where executemany
    reports no row count)."""
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(3)))
    now = to_ms(datetime.now(UTC))
    claimed = await claim(platform, now)
    sent = [
        outbound.SubmitOutcome(m.id, "sim", MessageStatus.SENT, carrier_ids=(f"c{m.id}",))
        for m in claimed
    ]
    await platform.db.write(lambda conn: outbound.record_submits(conn, sent, now_ms=now))
    receipts = [Receipt("sim", (f"c{m.id}",), MessageStatus.DELIVERED, now + 1) for m in claimed]
    moved, _ = await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, receipts))
    assert moved == 3
    moved, _ = await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, receipts))
    assert moved == 0


async def parked_count(platform) -> int:
    return len(await fetch_all(platform, select(parked_receipts.c.id)))


def carrier_receipt(carrier_id: str) -> outbound.Receipt:
    return Receipt("simulator", (carrier_id,), MessageStatus.DELIVERED, 1_000)


async def test_receipt_for_a_submit_a_dead_process_never_stored_is_parked_then_applied(platform):
    """After kill -9, the carrier reports a message its process submitted but never stored:
    the receipt is answered at once (the carrier's window moves on) and applied once the
    submit is stored, instead of being dropped."""
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    now = to_ms(datetime.now(UTC))
    [message] = await claim(platform, now)  # the claim of the process that died
    dispatcher = Dispatcher(platform, factory=build_connector, receipt_patience_ms=0)
    answered = dispatcher.receipts([carrier_receipt("dead1")])
    await dispatcher.store_arrivals()
    assert answered.done()
    assert await parked_count(platform) == 1
    assert await statuses(platform) == ["sending"]
    # The claim is taken again and this time the submit is stored under that id.
    stored = outbound.SubmitOutcome(
        message.id, "simulator", MessageStatus.SENT, carrier_ids=("dead1",)
    )
    await platform.db.write(lambda conn: outbound.record_submits(conn, [stored], now_ms=now))
    await dispatcher.apply_parked_receipts()
    assert await statuses(platform) == ["delivered"]
    assert await parked_count(platform) == 0
    assert (dispatcher.receipts_applied, dispatcher.receipts_unmatched) == (1, 0)


async def test_receipt_within_patience_waits_in_memory_for_this_process_commit(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    now = to_ms(datetime.now(UTC))
    [message] = await claim(platform, now)
    dispatcher = Dispatcher(platform, factory=build_connector, receipt_patience_ms=60_000)
    answered = dispatcher.receipts([carrier_receipt("soon1")])
    await dispatcher.store_arrivals()
    assert not answered.done()
    assert await parked_count(platform) == 0
    stored = outbound.SubmitOutcome(
        message.id, "simulator", MessageStatus.SENT, carrier_ids=("soon1",)
    )
    await platform.db.write(lambda conn: outbound.record_submits(conn, [stored], now_ms=now))
    dispatcher.submits_recorded()
    await dispatcher.store_arrivals()
    assert answered.done()
    assert await statuses(platform) == ["delivered"]


async def test_every_parked_receipt_is_offered_again_batch_after_batch(platform):
    """Receipts no submit will ever match (the resubmitted copy got a new id) must not
    starve the ones behind them."""
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(2)))
    now = to_ms(datetime.now(UTC))
    strangers = [carrier_receipt(f"gone{i}") for i in range(5)]
    await delivery_reports.apply_receipts(
        platform, [*strangers, carrier_receipt("late1")], park_if_unmatched=set(strangers)
    )
    assert await parked_count(platform) == 5  # "late1" was not to be parked yet
    await delivery_reports.apply_receipts(
        platform, [carrier_receipt("late1")], park_if_unmatched={carrier_receipt("late1")}
    )
    first, _ = await claim(platform, now)
    stored = outbound.SubmitOutcome(
        first.id, "simulator", MessageStatus.SENT, carrier_ids=("late1",)
    )
    await platform.db.write(lambda conn: outbound.record_submits(conn, [stored], now_ms=now))
    outcome = await delivery_reports.apply_parked_receipts(
        platform, now_ms=now, keep_ms=60_000, batch_size=2
    )
    assert (outcome.moved, outcome.applied, outcome.given_up) == (1, 1, 0)
    assert await parked_count(platform) == 5


async def test_parked_receipt_is_given_up_after_the_validity_period(platform):
    await delivery_reports.apply_receipts(
        platform, [carrier_receipt("never")], park_if_unmatched={carrier_receipt("never")}
    )
    [parked_at] = (await fetch_all(platform, select(parked_receipts.c.parked_at)))[0]
    kept = await delivery_reports.apply_parked_receipts(
        platform, now_ms=parked_at + 1_000, keep_ms=1_000
    )
    assert kept.given_up == 0
    dropped = await delivery_reports.apply_parked_receipts(
        platform, now_ms=parked_at + 1_001, keep_ms=1_000
    )
    assert dropped.given_up == 1
    assert await parked_count(platform) == 0
