from __future__ import annotations

import pytest

from relais.core.optout import is_stop


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop. ", "STOP SMS", "stop  sms!", "Arrêt", "UNSUBSCRIBE"]
)
def test_is_stop_recognises_keywords(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["Please don't stop", "STOPPED", "stop by tomorrow", "", "OK"])
def test_is_stop_ignores_other_texts(text):
    assert not is_stop(text)


def test_is_stop_uses_configured_keywords():
    assert is_stop("halt", ("HALT",))
    assert not is_stop("stop", ("HALT",))
