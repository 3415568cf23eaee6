from __future__ import annotations

import pytest

from relais.smpp.constants import CommandId as C
from relais.smpp.constants import CommandStatus
from relais.smpp.state import (
    SENDABLE,
    Role,
    State,
    may_send,
    next_state,
    rejection_status,
    state_after_eof,
)

ALL_STATES = list(State)


def states_where(role: Role, command_id: int) -> set[State]:
    return {state for state in ALL_STATES if may_send(role, state, command_id)}


def test_state_table_covers_every_role_and_state() -> None:
    assert set(SENDABLE) == {(role, state) for role in Role for state in State}


@pytest.mark.parametrize(
    ("role", "command_id", "states"),
    [
        (Role.ESME, C.SUBMIT_SM, {State.BOUND_TX, State.BOUND_TRX}),
        (Role.SMSC, C.SUBMIT_SM, set()),
        (Role.SMSC, C.DELIVER_SM, {State.BOUND_RX, State.BOUND_TRX}),
        (Role.ESME, C.DELIVER_SM, set()),
        (Role.ESME, C.DATA_SM, {State.BOUND_TX, State.BOUND_TRX}),
        (Role.SMSC, C.DATA_SM, {State.BOUND_RX, State.BOUND_TRX}),
        (Role.SMSC, C.ALERT_NOTIFICATION, {State.BOUND_RX, State.BOUND_TRX}),
        (Role.ESME, C.BIND_TRANSMITTER, {State.OPEN}),
        (Role.SMSC, C.BIND_TRANSMITTER, set()),
        (Role.SMSC, C.BIND_TRANSCEIVER_RESP, {State.OPEN}),
        (Role.SMSC, C.OUTBIND, {State.OPEN}),
        (Role.ESME, C.OUTBIND, set()),
        (Role.SMSC, C.SUBMIT_SM_RESP, {State.BOUND_TX, State.BOUND_TRX, State.UNBOUND}),
        (Role.ESME, C.DELIVER_SM_RESP, {State.BOUND_RX, State.BOUND_TRX, State.UNBOUND}),
        (Role.ESME, C.UNBIND, {State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX}),
        (Role.SMSC, C.UNBIND, {State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX}),
        (
            Role.ESME,
            C.UNBIND_RESP,
            {State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX, State.UNBOUND},
        ),
        (
            Role.ESME,
            C.ENQUIRE_LINK,
            {State.OPEN, State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX},
        ),
        (Role.ESME, C.GENERIC_NACK, set(State) - {State.CLOSED}),
        (Role.SMSC, C.GENERIC_NACK, set(State) - {State.CLOSED}),
    ],
)
def test_state_table_allows_command_only_where_spec_does(
    role: Role, command_id: int, states: set[State]
) -> None:
    assert states_where(role, command_id) == states


def test_state_nothing_but_generic_nack_in_error() -> None:
    for role in Role:
        assert SENDABLE[role, State.ERROR] == {C.GENERIC_NACK}
        assert SENDABLE[role, State.CLOSED] == set()


@pytest.mark.parametrize(
    ("state", "command_id", "status", "after"),
    [
        (State.OPEN, C.BIND_TRANSMITTER_RESP, 0, State.BOUND_TX),
        (State.OPEN, C.BIND_RECEIVER_RESP, 0, State.BOUND_RX),
        (State.OPEN, C.BIND_TRANSCEIVER_RESP, 0, State.BOUND_TRX),
        (State.OPEN, C.BIND_TRANSCEIVER_RESP, CommandStatus.ESME_RINVPASWD, State.OPEN),
        (State.OPEN, C.BIND_TRANSCEIVER, 0, State.OPEN),
        (State.BOUND_TRX, C.SUBMIT_SM, 0, State.BOUND_TRX),
        (State.BOUND_TX, C.UNBIND, 0, State.UNBOUND),
        (State.BOUND_RX, C.UNBIND, 0, State.UNBOUND),
        (State.UNBOUND, C.UNBIND_RESP, 0, State.CLOSED),
        (State.UNBOUND, C.UNBIND_RESP, CommandStatus.ESME_RSYSERR, State.UNBOUND),
    ],
)
def test_state_transitions_follow_table(
    state: State, command_id: int, status: int, after: State
) -> None:
    assert next_state(state, command_id, status) is after


def test_state_refusal_may_answer_anything_but_after_close() -> None:
    assert may_send(Role.SMSC, State.OPEN, C.SUBMIT_SM_RESP, refusal=True)
    assert may_send(Role.SMSC, State.BOUND_TX, C.BIND_TRANSMITTER_RESP, refusal=True)
    assert not may_send(Role.SMSC, State.CLOSED, C.SUBMIT_SM_RESP, refusal=True)
    assert not may_send(Role.SMSC, State.ERROR, C.SUBMIT_SM_RESP, refusal=True)


def test_state_unknown_commands_travel_while_session_is_up() -> None:
    assert may_send(Role.ESME, State.BOUND_TX, 0x00000003, known=False)
    assert not may_send(Role.ESME, State.CLOSED, 0x00000003, known=False)


@pytest.mark.parametrize(
    ("state", "command_id", "status"),
    [
        (State.BOUND_TX, C.BIND_TRANSMITTER, CommandStatus.ESME_RALYBND),
        (State.BOUND_TRX, C.BIND_RECEIVER, CommandStatus.ESME_RALYBND),
        (State.OPEN, C.SUBMIT_SM, CommandStatus.ESME_RINVBNDSTS),
        (State.BOUND_RX, C.SUBMIT_SM, CommandStatus.ESME_RINVBNDSTS),
    ],
)
def test_state_rejection_status_names_the_fault(state: State, command_id: int, status: int) -> None:
    assert rejection_status(state, command_id) == status


def test_state_after_eof_is_error_only_mid_pdu() -> None:
    assert state_after_eof(partial_pdu=False) is State.CLOSED
    assert state_after_eof(partial_pdu=True) is State.ERROR
