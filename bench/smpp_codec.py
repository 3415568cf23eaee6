"""
Micro-benchmark of the SMPP codec: encodes/s and decodes/s, ours against smpplib, in one run.

Two PDUs: a submit_sm carrying a 160-character GSM text (the bulk of outbound traffic) and a
deliver_sm delivery receipt with receipted_message_id and message_state TLVs (the bulk of
inbound traffic), and reading that receipt's text and TLVs (`read`, ours alone). Each figure
is the best of a few rounds, so a scheduler hiccup does not decide it; both libraries are
measured in the same process, so the ratio holds even where the absolute numbers move.
Figures only, no assertions: run `python bench/smpp_codec.py`. smpplib is a test dependency
(`pip install -e .[test]`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import smpplib.command
import smpplib.smpp

from relais.smpp import DeliverSm, SubmitSm, decode, encode, make_tlvs
from relais.smpp.receipts import receipt_from_pdu

COUNT = 50_000
ROUNDS = 5
TEXT = (
    "Bonjour Jean, votre rendez-vous du 12/06 est confirme a 10h30. Repondez OUI pour confirmer "
    "ou appelez le 01 23 45 67 89. Merci de votre confiance et a tres vite!"
)[:160].ljust(160, ".")
RECEIPT = (
    "id:5F3A9C21 sub:001 dlvrd:001 submit date:2406121030 done date:2406121031 stat:DELIVRD "
    "err:000 text:Bonjour Jean, votre"
)
SUBMIT: dict[str, Any] = {
    "service_type": "",
    "source_addr_ton": 5,
    "source_addr_npi": 0,
    "source_addr": "Relais",
    "dest_addr_ton": 1,
    "dest_addr_npi": 1,
    "destination_addr": "33612345678",
    "esm_class": 0,
    "protocol_id": 0,
    "priority_flag": 0,
    "schedule_delivery_time": "",
    "validity_period": "",
    "registered_delivery": 1,
    "replace_if_present_flag": 0,
    "data_coding": 0,
    "sm_default_msg_id": 0,
}
DELIVER: dict[str, Any] = {
    **SUBMIT,
    "source_addr_ton": 1,
    "source_addr_npi": 1,
    "source_addr": "33612345678",
    "dest_addr_ton": 5,
    "dest_addr_npi": 0,
    "destination_addr": "Relais",
    "esm_class": 0x04,
    "registered_delivery": 0,
}


class _Sequence:
    sequence = 0

    def next_sequence(self) -> int:
        return 0


def per_second(function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(COUNT):
            function()
        best = min(best, time.perf_counter() - started)
    return COUNT / best


def smpplib_pdu(name: str, fields: dict[str, Any]) -> smpplib.command.Command:
    pdu = smpplib.smpp.make_pdu(name, client=_Sequence(), **fields)
    pdu.sequence = 7
    return pdu


def main() -> None:
    ours_submit = SubmitSm(sequence_number=7, short_message=TEXT.encode("ascii"), **SUBMIT)
    ours_receipt = DeliverSm(
        sequence_number=7,
        short_message=RECEIPT.encode("ascii"),
        tlvs=make_tlvs(receipted_message_id="5F3A9C21", message_state=2),
        **DELIVER,
    )
    theirs_submit = smpplib_pdu("submit_sm", {**SUBMIT, "short_message": TEXT.encode("ascii")})
    theirs_receipt = smpplib_pdu(
        "deliver_sm",
        {
            **DELIVER,
            "short_message": RECEIPT.encode("ascii"),
            "receipted_message_id": "5F3A9C21",
            "message_state": 2,
        },
    )
    client = _Sequence()
    rows = []
    for label, ours, theirs in (
        ("submit_sm, 160-char GSM", ours_submit, theirs_submit),
        ("deliver_sm receipt", ours_receipt, theirs_receipt),
    ):
        wire = encode(ours)
        if decode(theirs.generate()) != ours:
            raise SystemExit(f"the two libraries disagree on the {label}")
        rows.append(
            (
                label,
                per_second(partial(encode, ours)),
                per_second(theirs.generate),
                per_second(partial(decode, wire)),
                per_second(partial(smpplib.smpp.parse_pdu, wire, client=client)),
            )
        )
    print(f"{'PDU':<26}{'op':<8}{'relais/s':>12}{'smpplib/s':>12}{'ratio':>8}")
    for label, enc_ours, enc_theirs, dec_ours, dec_theirs in rows:
        print(
            f"{label:<26}{'encode':<8}{enc_ours:>12,.0f}{enc_theirs:>12,.0f}"
            f"{enc_ours / enc_theirs:>7.1f}x"
        )
        print(
            f"{'':<26}{'decode':<8}{dec_ours:>12,.0f}{dec_theirs:>12,.0f}"
            f"{dec_ours / dec_theirs:>7.1f}x"
        )
    # What the delivery process does with each receipt after decoding it (smpplib has none).
    print(f"{'':<26}{'read':<8}{per_second(partial(receipt_from_pdu, ours_receipt)):>12,.0f}")


if __name__ == "__main__":
    main()
