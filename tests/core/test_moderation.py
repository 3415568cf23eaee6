"""Moderation rules that read a campaign's text: whole words in any case, links with or
without a scheme (and the short-link placeholder), link rules by domain."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from relais.core.moderation import TextRules, links_in


class Rule(NamedTuple):
    kind: str
    value: str


def rules(*pairs: tuple[str, str]) -> TextRules:
    return TextRules.compile(Rule(kind, value) for kind, value in pairs)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("Casino tonight", True),
        ("best CASINO.", True),
        ("(casino)", True),
        ("casinos tonight", False),
        ("thecasino", False),
        ("Win FREE   money now", True),
        ("free moneybags", False),
    ],
)
def test_word_rules_match_whole_words_in_any_case(text, held):
    reason = rules(("word", "casino"), ("word", "free money")).reason(text)
    assert (reason is not None) == held


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("Go to https://Shop.Example.com/promo?x=1", ["shop.example.com"]),
        ("see www.bit.ly/abc", ["www.bit.ly"]),
        ("visit example.fr!", ["example.fr"]),
        ("http://user@evil.io:8080/x", ["evil.io"]),
        ("Click <-short->", [""]),
        ("write to a@b.com", []),
        ("Bonjour.Merci, v2.0", []),
    ],
)
def test_links_are_found_with_or_without_a_scheme(text, hosts):
    assert links_in(text) == hosts


def test_link_rule_matches_its_domain_and_subdomains_only():
    by_domain = rules(("link", "example.com"))
    assert by_domain.reason("see https://a.example.com/x") == "link: example.com"
    assert by_domain.reason("see example.com") == "link: example.com"
    assert by_domain.reason("see example.community and notexample.com") is None
    assert rules(("link", "*")).reason("see bit.ly/x") == "link: bit.ly"
    assert rules(("link", "*")).reason("no link here.") is None
