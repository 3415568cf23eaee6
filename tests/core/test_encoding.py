from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais.core.encoding import (
    Encoding,
    SegmentedText,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    segment,
    segment_count,
)
from relais.core.errors import InvalidField

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"


@pytest.mark.parametrize(
    ("text", "encoding", "length", "count"),
    [
        ("", Encoding.GSM7, 0, 1),
        ("Hello", Encoding.GSM7, 5, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("a" * 459, Encoding.GSM7, 459, 3),
        ("a" * 460, Encoding.GSM7, 460, 4),
        ("Prix : 10€", Encoding.GSM7, 11, 1),
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),  # 76 pairs (152 septets) + 5 pairs
        ("€" * 153, Encoding.GSM7, 306, 3),  # 76 + 76 + 1: pairs never split, so not 2
        ("a" * 159 + "€", Encoding.GSM7, 161, 2),
        ("Rendez-vous confirmé à 10h, à bientôt", Encoding.UCS2, 37, 1),  # "ô" is not GSM
        ("Ça marche", Encoding.GSM7, 9, 1),  # capital C cedilla is in the default table
        ("ça marche", Encoding.UCS2, 9, 1),  # small c cedilla is not
        ("Привет" * 11 + "Пр", Encoding.UCS2, 68, 1),
        ("ж" * 70, Encoding.UCS2, 70, 1),
        ("ж" * 71, Encoding.UCS2, 71, 2),
        ("ж" * 134, Encoding.UCS2, 134, 2),
        ("ж" * 135, Encoding.UCS2, 135, 3),
        ("😀" * 35, Encoding.UCS2, 70, 1),
        ("😀" * 36, Encoding.UCS2, 72, 2),
        ("ж" + "😀" * 33, Encoding.UCS2, 67, 1),
        ("ж" * 66 + "😀" + "ж" * 4, Encoding.UCS2, 72, 2),
        ("`", Encoding.UCS2, 1, 1),  # backtick is not GSM
        ("tab\there", Encoding.UCS2, 8, 1),
    ],
)
def test_segment_table(text: str, encoding: Encoding, length: int, count: int) -> None:
    result = segment(text)
    assert (result.encoding, result.length, result.segment_count) == (encoding, length, count)
    assert segment_count(text) == (encoding, count)
    assert "".join(result.parts) == text


def test_segment_empty_text_is_one_empty_part() -> None:
    assert segment("") == SegmentedText(Encoding.GSM7, 0, ("",))


def test_segment_153_times_two_is_two_parts() -> None:
    result = segment("b" * 153 * 2)
    assert result.parts == ("b" * 153, "b" * 153)


def test_segment_extension_char_at_position_153_moves_to_next_part() -> None:
    text = "a" * 152 + "€" + "a" * 10
    result = segment(text)
    assert result.length == 164
    assert result.parts == ("a" * 152, "€" + "a" * 10)


def test_segment_extension_char_at_the_end_of_a_full_part_can_add_a_part() -> None:
    text = "a" * 152 + "[" + "a" * 153
    assert segment_count(text) == (Encoding.GSM7, 3)  # 308 septets: plain division says 3 anyway
    text = "a" * 152 + "[" + "a" * 152
    assert segment(text).length == 306
    assert segment_count(text) == (Encoding.GSM7, 3)  # 306 septets, but the pair cannot split


def test_segment_never_splits_a_surrogate_pair() -> None:
    text = "ж" * 66 + "😀" + "ж" * 10
    result = segment(text)
    assert result.parts == ("ж" * 66, "😀" + "ж" * 10)
    assert [len(p.encode("utf-16-le")) // 2 for p in result.parts] == [66, 12]


def test_segment_force_unicode_uses_ucs2_limits() -> None:
    assert segment_count("a" * 70, force_unicode=True) == (Encoding.UCS2, 1)
    assert segment_count("a" * 71, force_unicode=True) == (Encoding.UCS2, 2)
    assert segment("€", force_unicode=True).length == 1


def test_segment_every_gsm_char_is_gsm7() -> None:
    result = segment(GSM_BASIC + GSM_EXTENSION)
    assert result.encoding is Encoding.GSM7
    assert result.length == len(GSM_BASIC) + 2 * len(GSM_EXTENSION)


def _reference_parts(text: str, force_unicode: bool) -> tuple[Encoding, int, list[str]]:
    """A char-by-char walk, slow and obvious, to compare the fast code with."""
    gsm = not force_unicode and all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)
    if gsm:
        weights = [2 if ch in GSM_EXTENSION else 1 for ch in text]
        single, size = 160, 153
    else:
        weights = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, size = 70, 67
    total = sum(weights)
    if total <= single:
        return (Encoding.GSM7 if gsm else Encoding.UCS2), total, [text]
    parts, current, used = [], "", 0
    for ch, weight in zip(text, weights, strict=True):
        if used + weight > size:
            parts.append(current)
            current, used = "", 0
        current += ch
        used += weight
    parts.append(current)
    return (Encoding.GSM7 if gsm else Encoding.UCS2), total, parts


_TEXT = st.text(alphabet=st.sampled_from([*"ab €[]^é", "ж", "😀", "ç", "\n"]), max_size=400)


@settings(max_examples=500)
@given(_TEXT, st.booleans())
def test_segment_matches_a_char_by_char_walk(text: str, force_unicode: bool) -> None:
    encoding, length, parts = _reference_parts(text, force_unicode)
    result = segment(text, force_unicode=force_unicode)
    assert (result.encoding, result.length, list(result.parts)) == (encoding, length, parts)
    assert segment_count(text, force_unicode=force_unicode) == (encoding, len(parts))


def test_encode_gsm7_basic_and_extension() -> None:
    assert encode_gsm7("@A€") == b"\x00\x41\x1b\x65"
    assert encode_gsm7("{}") == b"\x1b\x28\x1b\x29"
    assert encode_gsm7("Ç\nè") == b"\x09\x0a\x04"


def test_encode_gsm7_rejects_non_gsm_text() -> None:
    with pytest.raises(InvalidField, match="position 1"):
        encode_gsm7("aça")


def test_encode_gsm7_round_trip() -> None:
    text = GSM_BASIC + GSM_EXTENSION
    data = encode_gsm7(text)
    assert len(data) == segment(text).length
    assert decode_gsm7(data) == text


def test_decode_gsm7_escape_of_undefined_septet_reads_default_char() -> None:
    assert decode_gsm7(b"\x1b\x41") == "A"
    assert decode_gsm7(b"a\x1b") == "a "
    assert decode_gsm7(b"\x1b\x1b") == " "


def test_decode_gsm7_rejects_eight_bit_bytes() -> None:
    with pytest.raises(InvalidField):
        decode_gsm7(b"\x80")


def test_encode_ucs2_round_trip_with_emoji() -> None:
    text = "Привет 😀 €"
    data = encode_ucs2(text)
    assert data[:2] == b"\x04\x1f"
    assert len(data) == 2 * segment(text).length
    assert decode_ucs2(data) == text


def test_encode_ucs2_rejects_lone_surrogate() -> None:
    with pytest.raises(InvalidField):
        encode_ucs2("a\ud83d")


def test_decode_ucs2_rejects_odd_length() -> None:
    with pytest.raises(InvalidField):
        decode_ucs2(b"\x00a\x00")
