"""The handset a click came from, as CLICKER reports it, and robots told apart."""

from __future__ import annotations

import pytest

from relais.core.user_agents import Device, is_robot, parse_device

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (IPHONE, Device("Apple", "iPhone", "iOS")),
        ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)", Device("Apple", "iPad", "iOS")),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit",
            Device("Samsung", "SM-S911B", "Android"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile",
            Device("Google", "Pixel 8", "Android"),
        ),
        (
            "Mozilla/5.0 (Linux; U; Android 4.0.3; fr-fr; GT-I9100 Build/IML74K)",
            Device("Samsung", "GT-I9100", "Android"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36",
            Device("Xiaomi", "Redmi Note 11", "Android"),
        ),
        # Chrome's reduced User-Agent hides the model behind "K".
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120 Mobile",
            Device("", "", "Android"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; XQ-CT54) AppleWebKit",
            Device("", "XQ-CT54", "Android"),
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", Device("", "", "Windows")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", Device("Apple", "Mac", "macOS")),
        ("", Device()),
        ("something else entirely", Device()),
    ],
)
def test_the_handset_is_read_from_the_user_agent(user_agent, device):
    assert parse_device(user_agent) == device


@pytest.mark.parametrize(
    "user_agent",
    [
        "facebookexternalhit/1.1 Facebot Twitterbot/1.0",  # iMessage's link preview
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "TelegramBot (like TwitterBot)",
        "curl/8.5.0",
        "",
    ],
)
def test_link_previews_and_scripts_are_robots(user_agent):
    assert is_robot(user_agent)


def test_a_phone_browser_is_not_a_robot():
    assert not is_robot(IPHONE)
