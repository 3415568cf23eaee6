from __future__ import annotations

import os
import subprocess
import sys

import pytest

from relais.config import Settings, default_database_url
from relais.core.errors import ConfigError
from relais.core.webhook_retry import DEFAULT_SCHEDULE


def test_webhook_settings_default():
    settings = Settings.from_env({})
    assert settings.webhook_retry_schedule == DEFAULT_SCHEDULE
    assert settings.webhook_allow_private is False
    assert settings.short_link_base is None


@pytest.mark.parametrize(
    ("env", "field", "value"),
    [
        ({"RELAIS_WEBHOOK_RETRY_SCHEDULE": "1, 2,3.5"}, "webhook_retry_schedule", (1, 2, 3.5)),
        ({"RELAIS_WEBHOOK_RETRY_SCHEDULE": ""}, "webhook_retry_schedule", DEFAULT_SCHEDULE),
        ({"RELAIS_WEBHOOK_ALLOW_PRIVATE": "1"}, "webhook_allow_private", True),
        ({"RELAIS_WEBHOOK_ALLOW_PRIVATE": "0"}, "webhook_allow_private", False),
        (
            {"RELAIS_SHORT_LINK_BASE": "https://s.example.com/"},
            "short_link_base",
            "https://s.example.com",
        ),
        (
            {"RELAIS_SHORT_LINK_BASE": " http://127.0.0.1:8080/l "},
            "short_link_base",
            "http://127.0.0.1:8080/l",
        ),
        ({"RELAIS_SHORT_LINK_BASE": ""}, "short_link_base", None),
    ],
)
def test_webhook_settings_from_env(env, field, value):
    assert getattr(Settings.from_env(env), field) == value


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RELAIS_WEBHOOK_RETRY_SCHEDULE": "5,soon"}, "RELAIS_WEBHOOK_RETRY_SCHEDULE"),
        ({"RELAIS_WEBHOOK_RETRY_SCHEDULE": "0"}, "positive"),
        ({"RELAIS_WEBHOOK_ALLOW_PRIVATE": "maybe"}, "RELAIS_WEBHOOK_ALLOW_PRIVATE"),
        ({"RELAIS_SHORT_LINK_BASE": "s.example.com"}, "http:// or https://"),
        ({"RELAIS_SHORT_LINK_BASE": "https://u:p@s.example.com"}, "user name"),
        ({"RELAIS_SHORT_LINK_BASE": "https://s.example.com/?x=1"}, "query"),
    ],
)
def test_bad_webhook_settings_are_refused(env, message):
    with pytest.raises(ConfigError, match="RELAIS_") as raised:
        Settings.from_env(env)
    assert message in raised.value.detail


def test_the_default_database_is_one_place_whatever_the_directory(tmp_path):
    assert default_database_url({"XDG_DATA_HOME": str(tmp_path)}) == (
        f"sqlite:///{tmp_path}/relais/relais.db"
    )
    home = default_database_url({})
    assert home.endswith("/.local/share/relais/relais.db") and home.startswith("sqlite:////")
    assert Settings.from_env({"XDG_DATA_HOME": str(tmp_path)}).database_url == (
        f"sqlite:///{tmp_path}/relais/relais.db"
    )


def test_commands_run_from_two_directories_share_the_default_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RELAIS_DATABASE_URL"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    for where in ("one", "two"):
        (tmp_path / where).mkdir()
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "relais",
            "account",
            "create",
            "--email",
            "a@b.fr",
            "--password",
            "secret1",
        ],
        cwd=tmp_path / "one",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "relais", "account", "list"],
        cwd=tmp_path / "two",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "a@b.fr" in listed.stdout, listed
    assert (tmp_path / "data" / "relais" / "relais.db").exists()
