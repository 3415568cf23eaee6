"""Campaign texts: merge fields per contact and the STOP notice."""

from __future__ import annotations

from relais.core.status import PushType
from relais.core.templates import SHORT_LINK_PLACEHOLDER, Template, with_stop_notice


def test_template_merges_fields_in_any_case_and_missing_ones_as_nothing() -> None:
    template = Template("Hi [info1] {x} [INFO3]!")
    assert not template.constant
    assert template.merge(("Ada", "b", None, "d")) == "Hi Ada {x} !"


def test_template_without_fields_is_constant() -> None:
    template = Template("Hello [info5]")
    assert template.constant
    assert template.merge((None,) * 4) == "Hello [info5]"


def test_stop_placeholder_is_replaced_for_any_pushtype() -> None:
    text = with_stop_notice("Hi <-stop->", pushtype=PushType.ALERT, notice="STOP 36111")
    assert text == "Hi STOP 36111"


def test_marketing_gets_the_notice_once() -> None:
    notice = "STOP 36111"
    assert with_stop_notice("Hi", pushtype=PushType.MARKETING, notice=notice) == "Hi\nSTOP 36111"
    assert with_stop_notice("Hi stop 36111", pushtype=PushType.MARKETING, notice=notice) == (
        "Hi stop 36111"
    )
    assert with_stop_notice("Hi", pushtype=PushType.ALERT, notice=notice) == "Hi"


def test_short_link_placeholder_is_named() -> None:
    assert SHORT_LINK_PLACEHOLDER == "<-short->"
