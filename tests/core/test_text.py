"""Control characters: found wherever they hide in a parsed request, and named in a way a
reply can repeat (a field name that holds one is shown escaped, never raw)."""

from __future__ import annotations

import pytest

from relais.core.errors import InvalidField
from relais.core.text import (
    control_character_path,
    escape_control_characters,
    refuse_control_characters_in,
)


def test_a_control_character_in_a_value_is_found_by_its_field_path():
    assert control_character_path({"sms": {"gsm": ["ok", "a\x00"]}}) == "sms.gsm[1]"


@pytest.mark.parametrize(
    ("key", "shown"), [("\x00", "\\x00"), ("a\x1fb", "a\\x1fb"), ("\ufffe", "\\ufffe")]
)
def test_a_field_name_holding_a_control_character_is_named_escaped(key, shown):
    assert control_character_path({"sms": {key: "Hi"}}) == f"sms.{shown}"
    with pytest.raises(InvalidField) as refused:
        refuse_control_characters_in({key: 1})
    assert refused.value.detail == f"{shown} contains a control character"


def test_escaping_leaves_tab_newlines_and_other_text_as_they_are():
    assert escape_control_characters("a\tb\r\nc é😀\x07") == "a\tb\r\nc é😀\\x07"
