"""SMSPartner's message syntax (api_reference §2.6): `:br:` is a line break, `:euro:` the euro
sign, and outside Unicode mode the characters the provider replaces are replaced as it does,
so the text stays in the GSM 7-bit alphabet and is priced as the provider prices it."""

from __future__ import annotations

from typing import Final

# §2.6's table (SMSPartner's "special characters" page): each character and what is sent.
_REPLACED: Final[dict[str, str]] = {
    "ą": "à",
    "’": "'",
    "ÿ": "y",
    "ç": "Ç",
    "û": "u",
    "ü": "u",
    "ï": "i",
    "î": "i",
    "ô": "o",
    "ö": "o",
    "ó": "o",
    "ë": "e",
    "ê": "e",
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "`": "'",
    "µ": "u",
    "Ä": "A",
    "À": "A",
    "Á": "A",
    "Â": "A",
    "Ã": "A",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "Î": "I",
    "Ü": "U",
    "Ù": "U",
    "Ú": "U",
    "Û": "U",
    "Ý": "Y",
    "ä": "a",
    "á": "a",
    "â": "a",
    "ã": "a",
    "Ö": "O",
    "Ô": "O",
    "œ": "oe",
    "°": ".",
    "“": '"',
    "”": '"',
    "ñ": "n",
    "Ñ": "N",
    "«": '"',
    "»": '"',
    "^": "",
    "~": "",
    "|": "",
    "\\": "",
    "¨": "",
    "§": "",
}
_TABLE: Final = str.maketrans(_REPLACED)


def expand(message: str) -> str:
    """`:br:` and `:euro:` as the characters they stand for."""
    return message.replace(":br:", "\n").replace(":euro:", "€")


def as_sent(message: str, *, unicode: bool) -> str:
    """The text that goes out: markers expanded, and outside Unicode mode the §2.6
    replacements made."""
    expanded = expand(message)
    return expanded if unicode else expanded.translate(_TABLE)
