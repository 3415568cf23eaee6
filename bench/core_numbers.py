"""
Micro-benchmark of the per-recipient and per-text costs in `relais.core`.

Prints µs per call for normalize_number (our fast path) against phonenumbers' parse +
is_valid_number on 100,000 distinct French mobile numbers, and for segment_count on a 160-character
text. Figures only, no assertions: run `python bench/core_numbers.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import phonenumbers

from relais.core.encoding import segment_count
from relais.core.phone import normalize_number

COUNT = 100_000
TEXT = (
    "Bonjour Jean, votre rendez-vous du 12/06 est confirmé à 10h30. Répondez OUI pour confirmer "
    "ou appelez le 01 23 45 67 89. Merci de votre confiance et à très vite chez nous."
)[:160]


def per_call_us(function: Callable[[str], object], items: Iterable[str], count: int) -> float:
    started = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - started) / count * 1e6


def phonenumbers_valid(raw: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(raw, "FR"))


def main() -> None:
    international = [f"336{i:08d}" for i in range(COUNT)]
    plus = ["+" + n for n in international]
    national = [f"06{i:08d}" for i in range(COUNT)]
    normalize_number(international[0])  # compile the +33 rules outside the timing
    rows = [
        ("normalize_number 336xxxxxxxx", per_call_us(normalize_number, international, COUNT)),
        ("normalize_number +336xxxxxxxx", per_call_us(normalize_number, plus, COUNT)),
        ("normalize_number 06xxxxxxxx (FR)", per_call_us(normalize_number, national, COUNT)),
        ("phonenumbers parse+is_valid +336...", per_call_us(phonenumbers_valid, plus, COUNT)),
    ]
    texts = [TEXT] * COUNT
    rows.append(("segment_count 160-char GSM text", per_call_us(segment_count, texts, COUNT)))
    for label, micros in rows:
        print(f"{label:<40} {micros:7.2f} µs")
    encoding, parts = segment_count(TEXT)
    print(f"(the text: {len(TEXT)} characters, {encoding}, {parts} segment)")


if __name__ == "__main__":
    main()
