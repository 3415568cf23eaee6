"""`relais` as an admin scripts it: values on stdout, errors on stderr, exit codes. The
commands run in this process; the console command itself runs as a real process at the end."""

from __future__ import annotations

import pytest
from tests.support import relais, relais_process


@pytest.fixture
def url(database_url: str) -> str:
    return database_url


def test_cli_account_credits_token_round_trip(url):
    created = relais(
        url,
        "account",
        "create",
        "--email",
        "a@b.fr",
        "--password",
        "secret1",
        "--credits",
        "10",
        "--country",
        "BE",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().isdigit()
    added = relais(url, "credits", "add", "--email", "a@b.fr", "25")
    assert (added.returncode, added.stdout.strip()) == (0, "balance=35")
    token = relais(url, "token", "create", "--email", "a@b.fr")
    assert token.returncode == 0
    assert token.stdout.strip().startswith("rl_") and len(token.stdout.strip().split()) == 1
    shown = relais(url, "credits", "show", "--email", "a@b.fr")
    assert shown.stdout.strip() == "balance=35"


def test_cli_errors_go_to_stderr_with_non_zero_exit(url):
    relais(url, "account", "create", "--email", "a@b.fr", "--password", "secret1")
    duplicate = relais(url, "account", "create", "--email", "a@b.fr", "--password", "secret1")
    assert duplicate.returncode == 1
    assert duplicate.stdout == ""
    assert "already exists" in duplicate.stderr
    missing = relais(url, "credits", "add", "--email", "nobody@b.fr", "5")
    assert missing.returncode == 1 and "No account" in missing.stderr
    short = relais(url, "account", "create", "--email", "c@b.fr", "--password", "abc")
    assert short.returncode == 1 and "password" in short.stderr
    country = relais(
        url, "account", "create", "--email", "d@b.fr", "--password", "secret1", "--country", "XX"
    )
    assert country.returncode == 1 and "country" in country.stderr


def test_cli_price_table(url):
    assert relais(url, "price", "set", "US", "3").returncode == 0
    assert relais(url, "price", "set", "*", "2").returncode == 0
    listed = relais(url, "price", "list")
    assert listed.stdout.splitlines() == ["* 2", "US 3"]
    assert relais(url, "price", "remove", "US").returncode == 0
    assert relais(url, "price", "remove", "US").returncode == 1
    assert relais(url, "price", "set", "ZZ", "1").returncode == 1


def test_cli_migrate_is_idempotent(url):
    first = relais(url, "migrate")
    second = relais(url, "migrate")
    assert (first.returncode, first.stdout.strip()) == (0, "ok")
    assert (second.returncode, second.stdout.strip()) == (0, "ok")


def test_cli_migrate_creates_a_fresh_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}"
    assert relais_process(url, "migrate").returncode == 0
    created = relais(url, "account", "create", "--email", "x@y.fr", "--password", "secret1")
    assert created.returncode == 0, created.stderr


def test_cli_unsupported_database_url_fails_cleanly(tmp_path):
    done = relais_process("mysql://nobody@localhost/db", "migrate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
