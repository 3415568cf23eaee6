"""What a click's User-Agent says about the handset: brand, model and OS (the CLICKER event's
`brand`, `model`, `os`), and whether it is a robot rather than a person.

A small table, not a full parser: SMS links are opened on phones, and the few families
below name nearly all of them. Anything else is reported as "" rather than guessed.
Robots are mostly link previews (iMessage fetches a link as "facebookexternalhit ...
Twitterbot" before anyone taps it); they are redirected but not counted as clicks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Device", "is_robot", "parse_device"]


@dataclass(frozen=True, slots=True)
class Device:
    brand: str = ""
    model: str = ""
    os: str = ""


_ROBOT: Final = re.compile(
    r"bot\b|crawler|spider|facebookexternalhit|facebot|slurp|preview|whatsapp|"
    r"telegrambot|skypeuripreview|curl/|wget/|python-requests|go-http-client|okhttp",
    re.IGNORECASE,
)
# `Android 13; SM-S911B Build/TP1A...)` or `Android 13; Pixel 7)`: the model follows the
# version, up to `Build/` or the closing parenthesis.
_ANDROID_MODEL: Final = re.compile(
    r"Android[^;)]*;\s*(?:[a-z]{2}[-_][a-z]{2};\s*)?([^;)]+?)\s*(?:Build/|[;)])",
    re.IGNORECASE,
)
# Model prefixes to brands, the longest first where they overlap.
_BRANDS: Final = (
    ("SAMSUNG", "Samsung"),
    ("SM-", "Samsung"),
    ("GT-", "Samsung"),
    ("Pixel", "Google"),
    ("Nexus", "Google"),
    ("Redmi", "Xiaomi"),
    ("POCO", "Xiaomi"),
    ("Xiaomi", "Xiaomi"),
    ("Mi ", "Xiaomi"),
    ("HUAWEI", "Huawei"),
    ("Honor", "Honor"),
    ("ONEPLUS", "OnePlus"),
    ("OnePlus", "OnePlus"),
    ("moto", "Motorola"),
    ("motorola", "Motorola"),
    ("Nokia", "Nokia"),
    ("LG-", "LG"),
    ("CPH", "OPPO"),
    ("OPPO", "OPPO"),
    ("vivo", "vivo"),
    ("Fairphone", "Fairphone"),
)


def is_robot(user_agent: str) -> bool:
    """Whether the User-Agent is a crawler, a link preview or a scripting library."""
    return not user_agent or _ROBOT.search(user_agent) is not None


def parse_device(user_agent: str) -> Device:
    """Brand, model and OS of the handset (each "" when the User-Agent does not say)."""
    ua = user_agent or ""
    for apple in ("iPhone", "iPad", "iPod"):
        if apple in ua:
            return Device("Apple", apple, "iOS")
    if "Windows Phone" in ua:
        return Device("Microsoft", "", "Windows Phone")
    if "Android" in ua:
        return Device(*_android(ua), os="Android")
    if "CrOS" in ua:
        return Device("", "", "ChromeOS")
    if "Macintosh" in ua or "Mac OS X" in ua:
        return Device("Apple", "Mac", "macOS")
    if "Windows" in ua:
        return Device("", "", "Windows")
    if "Linux" in ua:
        return Device("", "", "Linux")
    return Device()


def _android(ua: str) -> tuple[str, str]:
    found = _ANDROID_MODEL.search(ua)
    model = found.group(1).strip() if found else ""
    # Chrome's reduced User-Agent writes "K" in place of the model: nothing to report.
    if model in {"", "K", "Mobile", "wv"}:
        return "", ""
    for prefix, brand in _BRANDS:
        if model.lower().startswith(prefix.lower()):
            return brand, model.removeprefix("SAMSUNG ").strip()
    return "", model
