"""Recognising an opt-out (STOP) in the text of an inbound SMS."""

from __future__ import annotations

import re
import unicodedata

DEFAULT_STOP_KEYWORDS: tuple[str, ...] = (
    "STOP",
    "STOP SMS",
    "STOP PUB",
    "STOPSMS",
    "STOP ALL",
    "UNSUBSCRIBE",
    "ARRET",
    "ARRET SMS",
    "DESABONNER",
    "DESINSCRIPTION",
    "END",
    "QUIT",
    "CANCEL",
)

_NOT_WORD = re.compile(r"[^A-Z0-9]+")


def normalize_keyword(text: str) -> str:
    """Upper case, accents and punctuation removed, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return _NOT_WORD.sub(" ", ascii_text).strip()


def is_stop(text: str, keywords: tuple[str, ...] = DEFAULT_STOP_KEYWORDS) -> bool:
    """True when the whole message is a STOP keyword ("Stop.", "stop sms", "ARRÊT")."""
    words = normalize_keyword(text)
    return any(words == normalize_keyword(keyword) for keyword in keywords)
