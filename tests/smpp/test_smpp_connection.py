"""SmppConnection driven from both ends, joined in memory (h11's ConnectionPair)."""

from __future__ import annotations

import pytest
from tests.smpp.session_pair import MESSAGE, SessionPair, one, receive

from relais.smpp import (
    NEED_DATA,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    CommandStatus,
    ConnectionClosed,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    LocalProtocolError,
    Outbind,
    OutOfState,
    Pdu,
    RemoteProtocolError,
    Role,
    SmppConnection,
    State,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    UnknownPdu,
    encode,
    response_for,
)


def test_connection_bind_transceiver_binds_both_ends() -> None:
    pair = SessionPair()
    pair.bind()
    assert pair.esme.state is State.BOUND_TRX
    assert pair.smsc.state is State.BOUND_TRX


@pytest.mark.parametrize(
    ("request_", "bound"),
    [
        (BindTransmitter(system_id="r"), State.BOUND_TX),
        (BindReceiver(system_id="r"), State.BOUND_RX),
        (BindTransceiver(system_id="r"), State.BOUND_TRX),
    ],
)
def test_connection_bind_kind_sets_bound_state(request_: Pdu, bound: State) -> None:
    pair = SessionPair()
    pair.bind(request_)
    assert pair.esme.state is pair.smsc.state is bound


def test_connection_refused_bind_stays_open() -> None:
    pair = SessionPair()
    bind = one(
        pair.send(pair.esme, BindTransmitter(system_id="relais", password="bad")), BindTransmitter
    )
    (answer,) = pair.send(pair.smsc, bind.response(CommandStatus.ESME_RINVPASWD))
    assert answer == BindTransmitterResp(
        sequence_number=bind.sequence_number, command_status=CommandStatus.ESME_RINVPASWD
    )
    assert pair.esme.state is pair.smsc.state is State.OPEN
    assert pair.esme.outstanding == 0


def test_connection_esme_cannot_submit_before_bind() -> None:
    with pytest.raises(LocalProtocolError) as info:
        SmppConnection(Role.ESME).send(SubmitSm(**MESSAGE))
    assert info.value.command_status_hint == CommandStatus.ESME_RINVBNDSTS


def test_connection_esme_cannot_submit_when_bound_as_receiver() -> None:
    pair = SessionPair()
    pair.bind(BindReceiver(system_id="r"))
    with pytest.raises(LocalProtocolError):
        pair.esme.send(SubmitSm(**MESSAGE))


def test_connection_smsc_cannot_deliver_to_transmitter() -> None:
    pair = SessionPair()
    pair.bind(BindTransmitter(system_id="r"))
    with pytest.raises(LocalProtocolError):
        pair.smsc.send(DeliverSm(**MESSAGE))


def test_connection_submit_before_bind_arrives_out_of_state() -> None:
    smsc = SmppConnection(Role.SMSC)
    (event,) = receive(smsc, encode(SubmitSm(sequence_number=7, **MESSAGE)))
    assert isinstance(event, OutOfState)
    assert event.state is State.OPEN
    assert event.command_status_hint == CommandStatus.ESME_RINVBNDSTS
    assert isinstance(event.pdu, SubmitSm)
    answer = smsc.send(event.pdu.response(event.command_status_hint))
    assert answer == encode(
        SubmitSmResp(sequence_number=7, command_status=CommandStatus.ESME_RINVBNDSTS)
    )


def test_connection_second_bind_is_refused_as_already_bound() -> None:
    pair = SessionPair()
    pair.bind()
    (event,) = receive(pair.smsc, encode(BindTransmitter(sequence_number=99, system_id="r")))
    assert isinstance(event, OutOfState)
    assert event.command_status_hint == CommandStatus.ESME_RALYBND
    assert isinstance(event.pdu, BindTransmitter)
    pair.smsc.send(event.pdu.response(event.command_status_hint))
    assert pair.smsc.state is State.BOUND_TRX


def test_connection_submit_and_response_track_window() -> None:
    pair = SessionPair()
    pair.bind()
    events = [one(pair.send(pair.esme, SubmitSm(**MESSAGE)), SubmitSm) for _ in range(3)]
    assert pair.esme.outstanding == 3
    assert pair.smsc.unanswered == 3
    assert [e.sequence_number for e in events] == [2, 3, 4]
    assert pair.esme.pending(3) == SubmitSm(sequence_number=3, **MESSAGE)
    (answer,) = pair.send(pair.smsc, events[1].response(message_id="m3"))
    assert answer == SubmitSmResp(sequence_number=3, message_id="m3")
    assert pair.esme.outstanding == 2
    assert pair.smsc.unanswered == 2


def test_connection_window_full_raises_throttled() -> None:
    pair = SessionPair(window=2)
    pair.bind()
    pair.send(pair.esme, SubmitSm(**MESSAGE))
    pair.send(pair.esme, SubmitSm(**MESSAGE))
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(SubmitSm(**MESSAGE))
    assert info.value.command_status_hint == CommandStatus.ESME_RTHROTTLED
    assert pair.esme.outstanding == 2


def test_connection_sequence_numbers_wrap_to_one() -> None:
    conn = SmppConnection(Role.ESME, first_sequence_number=0x7FFFFFFE)
    assert [conn.next_sequence_number() for _ in range(3)] == [0x7FFFFFFE, 0x7FFFFFFF, 1]


def test_connection_sequence_numbers_skip_those_in_flight() -> None:
    conn = SmppConnection(Role.ESME, first_sequence_number=0x7FFFFFFF)
    conn.send(EnquireLink(sequence_number=1))
    conn.send(EnquireLink(sequence_number=2))
    assert conn.next_sequence_number() == 0x7FFFFFFF
    assert conn.next_sequence_number() == 3


def test_connection_rejects_sequence_number_already_in_flight() -> None:
    conn = SmppConnection(Role.ESME)
    conn.send(EnquireLink(sequence_number=5))
    with pytest.raises(LocalProtocolError):
        conn.send(EnquireLink(sequence_number=5))


def test_connection_response_to_unknown_sequence_is_remote_error() -> None:
    pair = SessionPair()
    pair.bind()
    pair.esme.receive_data(encode(SubmitSmResp(sequence_number=777, message_id="x")))
    with pytest.raises(RemoteProtocolError) as info:
        pair.esme.next_event()
    assert not info.value.fatal
    assert info.value.sequence_number == 777
    assert pair.esme.next_event() is NEED_DATA  # the session goes on


def test_connection_response_of_another_kind_is_remote_error() -> None:
    pair = SessionPair()
    pair.bind()
    submit = one(pair.send(pair.esme, SubmitSm(**MESSAGE)), SubmitSm)
    pair.esme.receive_data(encode(DeliverSmResp(sequence_number=submit.sequence_number)))
    with pytest.raises(RemoteProtocolError):
        pair.esme.next_event()
    assert pair.esme.outstanding == 1


def test_connection_generic_nack_answers_any_request() -> None:
    pair = SessionPair()
    pair.bind()
    submit = one(pair.send(pair.esme, SubmitSm(**MESSAGE)), SubmitSm)
    nack = GenericNack(
        sequence_number=submit.sequence_number, command_status=CommandStatus.ESME_RSYSERR
    )
    assert pair.send(pair.smsc, nack) == [nack]
    assert pair.esme.outstanding == 0


def test_connection_abandoned_request_makes_late_response_an_error() -> None:
    pair = SessionPair()
    pair.bind()
    submit = one(pair.send(pair.esme, SubmitSm(**MESSAGE)), SubmitSm)
    assert pair.esme.abandon(submit.sequence_number) == SubmitSm(
        sequence_number=submit.sequence_number, **MESSAGE
    )
    assert pair.esme.outstanding == 0
    with pytest.raises(RemoteProtocolError):
        pair.send(pair.smsc, submit.response(message_id="late"))


def test_connection_cannot_answer_a_request_never_received() -> None:
    pair = SessionPair()
    pair.bind()
    with pytest.raises(LocalProtocolError):
        pair.smsc.send(SubmitSmResp(sequence_number=12, message_id="x"))


def test_connection_deliver_sm_flows_in_transceiver() -> None:
    pair = SessionPair()
    pair.bind()
    receipt = DeliverSm(esm_class=0x04, short_message=b"id:1 stat:DELIVRD")
    deliver = one(pair.send(pair.smsc, receipt), DeliverSm)
    assert pair.send(pair.esme, deliver.response()) == [
        DeliverSmResp(sequence_number=deliver.sequence_number)
    ]
    assert pair.smsc.outstanding == 0


def test_connection_enquire_link_from_either_side() -> None:
    pair = SessionPair()
    pair.bind()
    for conn in (pair.esme, pair.smsc):
        link = one(pair.send(conn, EnquireLink()), EnquireLink)
        assert pair.send(pair.peer(conn), link.response()) == [
            EnquireLinkResp(sequence_number=link.sequence_number)
        ]


def test_connection_unbind_closes_both_ends() -> None:
    pair = SessionPair()
    pair.bind()
    unbind = one(pair.send(pair.esme, Unbind()), Unbind)
    assert pair.esme.state is pair.smsc.state is State.UNBOUND
    with pytest.raises(LocalProtocolError):
        pair.esme.send(SubmitSm(**MESSAGE))
    assert pair.send(pair.smsc, unbind.response()) == [
        UnbindResp(sequence_number=unbind.sequence_number)
    ]
    assert (pair.esme.state, pair.smsc.state) == (State.CLOSED, State.CLOSED)


def test_connection_answers_in_flight_after_unbind() -> None:
    pair = SessionPair()
    pair.bind()
    submit = one(pair.send(pair.esme, SubmitSm(**MESSAGE)), SubmitSm)
    pair.send(pair.smsc, Unbind())
    assert pair.send(pair.smsc, submit.response(message_id="m")) == [
        SubmitSmResp(sequence_number=submit.sequence_number, message_id="m")
    ]


def test_connection_outbind_then_bind_receiver() -> None:
    pair = SessionPair()
    assert pair.send(pair.smsc, Outbind(system_id="smsc", password="pw")) == [
        Outbind(sequence_number=1, system_id="smsc", password="pw")
    ]
    assert pair.smsc.outstanding == 0  # outbind has no response
    pair.bind(BindReceiver(system_id="relais"))
    assert pair.esme.state is State.BOUND_RX


def test_connection_peer_close_gives_connection_closed() -> None:
    conn = SmppConnection(Role.ESME)
    conn.receive_data(encode(EnquireLink(sequence_number=1)))
    conn.receive_data(b"")
    assert conn.next_event() == EnquireLink(sequence_number=1)
    assert conn.next_event() == ConnectionClosed()
    assert conn.state is State.CLOSED
    with pytest.raises(RuntimeError):
        conn.receive_data(b"more")


def test_connection_peer_close_mid_pdu_is_fatal() -> None:
    conn = SmppConnection(Role.ESME)
    conn.receive_data(encode(EnquireLink(sequence_number=1))[:9])
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        conn.next_event()
    assert info.value.fatal
    assert conn.state is State.ERROR


def test_connection_garbage_leaves_only_generic_nack() -> None:
    conn = SmppConnection(Role.SMSC)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        conn.next_event()
    assert info.value.fatal
    assert conn.state is State.ERROR
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send(EnquireLink())
    nack = GenericNack(command_status=info.value.command_status_hint)
    assert conn.send(nack) == encode(nack)


def test_connection_malformed_request_can_be_answered() -> None:
    pair = SessionPair()
    pair.bind()
    bad = encode(SubmitSm(sequence_number=50, **MESSAGE)).replace(b"Relais\0", b"R" * 30 + b"\0")
    bad = len(bad).to_bytes(4, "big") + bad[4:]
    pair.smsc.receive_data(bad)
    with pytest.raises(RemoteProtocolError) as info:
        pair.smsc.next_event()
    error = info.value
    assert error.command_status_hint == CommandStatus.ESME_RINVSRCADR
    assert error.command_id is not None and error.sequence_number is not None
    answer = response_for(error.command_id, error.sequence_number, error.command_status_hint)
    assert pair.smsc.send(answer) == encode(
        SubmitSmResp(sequence_number=50, command_status=CommandStatus.ESME_RINVSRCADR)
    )
    assert pair.smsc.unanswered == 0


def test_connection_unknown_command_is_answered_with_generic_nack() -> None:
    pair = SessionPair()
    pair.bind()
    query = UnknownPdu(command_id=0x00000003, sequence_number=60, body=b"m1\0\0\0\0")
    (event,) = receive(pair.smsc, encode(query))
    assert event == query
    nack = response_for(query.command_id, query.sequence_number, CommandStatus.ESME_RINVCMDID)
    assert pair.send(pair.smsc, nack) == [
        GenericNack(sequence_number=60, command_status=CommandStatus.ESME_RINVCMDID)
    ]


def test_connection_send_failed_puts_session_in_error() -> None:
    conn = SmppConnection(Role.ESME)
    conn.send_failed()
    assert conn.state is State.ERROR
    with pytest.raises(LocalProtocolError):
        conn.send(BindTransceiver(system_id="r"))


def test_connection_bind_response_needs_a_bind() -> None:
    smsc = SmppConnection(Role.SMSC)
    with pytest.raises(LocalProtocolError):
        smsc.send(BindTransceiverResp(sequence_number=1, system_id="SMSC"))
    assert smsc.state is State.OPEN


def test_connection_bind_receiver_resp_from_peer_without_bind_is_error() -> None:
    esme = SmppConnection(Role.ESME)
    esme.receive_data(encode(BindReceiverResp(sequence_number=1, system_id="SMSC")))
    with pytest.raises(RemoteProtocolError):
        esme.next_event()
    assert esme.state is State.OPEN
