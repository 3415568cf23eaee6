"""Short codes: one per message and link, fixed length, reversible only with the instance's
key; placeholders checked against the links and filled in order."""

from __future__ import annotations

import itertools

import pytest

from relais.core.errors import InvalidField
from relais.core.short_links import (
    CODE_LENGTH,
    MAX_LINKS,
    ShortLinks,
    check_links,
    fill_placeholders,
)

LINKS = ShortLinks("https://go.example/l", b"k" * 32)


def test_a_code_decodes_back_to_its_message_and_link():
    for message_id in (1, 2, 3, 999, 123_456_789, 2**37 - 1):
        for position in range(MAX_LINKS):
            code = LINKS.code(message_id, position)
            assert len(code) == CODE_LENGTH and code.isalnum()
            assert LINKS.decode(code) == (message_id, position)


def test_neighbouring_messages_get_unrelated_codes():
    codes = [LINKS.code(message_id, 0) for message_id in range(1, 2001)]
    assert len(set(codes)) == len(codes)
    # Consecutive ids do not give codes that share their first characters.
    assert sum(a[:3] == b[:3] for a, b in itertools.pairwise(codes)) < 10


def test_another_key_makes_other_codes_that_this_instance_cannot_map_back():
    other = ShortLinks("https://go.example/l", b"x" * 32)
    code = other.code(42, 0)
    assert code != LINKS.code(42, 0)
    assert LINKS.decode(code) != (42, 0)


@pytest.mark.parametrize("code", ["", "abc", "abcdefgh", "abc-efg", "zzzzzzz", "ééééééé"])
def test_anything_not_a_code_decodes_to_nothing(code):
    assert LINKS.decode(code) is None


def test_ids_beyond_what_forty_bits_hold_are_refused():
    with pytest.raises(ValueError, match="beyond"):
        LINKS.code(2**37, 0)
    with pytest.raises(ValueError, match="position"):
        LINKS.code(1, MAX_LINKS)


def test_render_puts_each_link_of_the_message_in_order_and_leaves_extra_placeholders():
    text = "A <-short-> B <-short-> C <-short->"
    rendered = LINKS.render(text, 7, 2)
    assert rendered == (
        f"A https://go.example/l/{LINKS.code(7, 0)} B https://go.example/l/{LINKS.code(7, 1)}"
        " C <-short->"
    )
    assert len(LINKS.sample) == len(f"https://go.example/l/{LINKS.code(7, 0)}")


def test_check_links_wants_one_link_per_placeholder():
    assert check_links("Go <-short-> now", ["https://a.example/x?y=1"]) == (
        "https://a.example/x?y=1",
    )
    assert check_links("No link", []) == ()
    with pytest.raises(InvalidField, match="1 <-short-> placeholder"):
        check_links("Go <-short->", [])
    with pytest.raises(InvalidField, match="0 <-short-> placeholder"):
        check_links("Go", ["https://a.example"])
    with pytest.raises(InvalidField, match="2 <-short-> placeholder"):
        check_links("<-short-> <-short->", ["https://a.example"])


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("ftp://a.example/file", "must start with http"),
        ("javascript:alert(1)", "must start with http"),
        ("https://user:pw@a.example/", "user name"),
        ("https://a.example/a b", "spaces"),
        ("https://", "no host"),
        ("https://a.example/" + "x" * 2000, "at most 2000"),
    ],
)
def test_check_links_refuses_what_is_not_a_web_address(link, why):
    with pytest.raises(InvalidField, match=why):
        check_links("<-short->", [link])


def test_at_most_eight_links_a_message():
    with pytest.raises(InvalidField, match="At most 8"):
        check_links("<-short->" * 9, ["https://a.example"] * 9)


def test_filling_placeholders_with_long_urls_shows_where_each_link_leads():
    text = "See <-short-> and <-short->"
    assert fill_placeholders(text, ["https://a.example", "https://b.example"]) == (
        "See https://a.example and https://b.example"
    )
