"""`relais account|audit|operator ...`: the operator's controls from a shell, each audited."""

from __future__ import annotations

import getpass
import json

from tests.support import relais


def test_suspend_unlock_list_and_show(database_url):
    url = database_url
    assert (
        relais(
            url,
            "account",
            "create",
            "--email",
            "a@b.fr",
            "--password",
            "secret1",
            "--company",
            "Shop",
        ).returncode
        == 0
    )
    relais(url, "account", "create", "--email", "c@d.fr", "--password", "secret1")
    suspended = relais(url, "account", "suspend", "--email", "a@b.fr", "--reason", "unpaid")
    assert (suspended.returncode, suspended.stdout.strip()) == (0, "held=0"), suspended.stderr
    listed = relais(url, "account", "list").stdout.splitlines()
    assert [line.split()[1:3] for line in listed] == [["a@b.fr", "suspended"], ["c@d.fr", "active"]]
    only = relais(url, "account", "list", "--suspended").stdout.splitlines()
    assert [line.split()[1] for line in only] == ["a@b.fr"]
    shown = json.loads(relais(url, "account", "show", "--email", "a@b.fr").stdout)
    assert (shown["suspended"], shown["suspension_reason"], shown["company"]) == (
        True,
        "unpaid",
        "Shop",
    )
    assert relais(url, "account", "unlock", "--email", "a@b.fr").returncode == 0
    shown = json.loads(relais(url, "account", "show", "--email", "a@b.fr").stdout)
    assert shown["suspended"] is False


def test_every_change_from_the_cli_is_in_the_audit_log(database_url):
    url = database_url
    relais(url, "account", "create", "--email", "a@b.fr", "--password", "secret1")
    relais(url, "credits", "add", "--email", "a@b.fr", "25", "--note", "invoice 12")
    relais(url, "price", "set", "US", "3")
    relais(url, "account", "suspend", "--email", "a@b.fr")
    lines = relais(url, "audit", "list").stdout.splitlines()
    actions = [line.split()[3] for line in lines]
    assert actions == ["account.suspend", "price.set", "account.credits", "account.create"]
    assert {line.split()[2] for line in lines} == {f"cli:{getpass.getuser()}"}
    credits_line = relais(url, "audit", "list", "--action", "account.credits").stdout
    assert '"note":"invoice 12"' in credits_line and '"amount":25' in credits_line
    for_account = relais(url, "audit", "list", "--email", "a@b.fr").stdout.splitlines()
    assert len(for_account) == 3  # create, credits, suspend (the price is no account's)


def test_unknown_accounts_fail_on_stderr(database_url):
    failed = relais(database_url, "account", "suspend", "--email", "nobody@b.fr")
    assert failed.returncode == 1 and "No account" in failed.stderr and failed.stdout == ""


def test_operator_tokens_are_shown_once_listed_and_revoked(database_url):
    url = database_url
    created = relais(url, "operator", "token", "create", "alice")
    assert created.returncode == 0 and created.stdout.strip().startswith("op_")
    listed = relais(url, "operator", "token", "list").stdout.split()
    assert listed[1] == "alice" and created.stdout.strip() not in listed
    assert relais(url, "operator", "token", "revoke", listed[0]).returncode == 0
    assert relais(url, "operator", "token", "list").stdout == ""
    again = relais(url, "operator", "token", "revoke", listed[0])
    assert again.returncode == 1 and "No operator token" in again.stderr
    bad = relais(url, "operator", "token", "create", "no spaces allowed")
    assert bad.returncode == 1


def test_policy_and_moderation_commands(database_url):
    url = database_url
    relais(url, "account", "create", "--email", "a@b.fr", "--password", "secret1")
    assert relais(url, "account", "countries", "--email", "a@b.fr", "FR", "BE").returncode == 0
    assert relais(url, "account", "cap", "--email", "a@b.fr", "FR", "1000").returncode == 0
    assert relais(url, "account", "sender", "--email", "a@b.fr", "Shop").returncode == 0
    shown = json.loads(relais(url, "account", "show", "--email", "a@b.fr").stdout)
    assert sorted(shown["allowed_countries"]) == ["BE", "FR"]
    assert (shown["country_caps"], shown["default_sender"]) == ({"FR": 1000}, "Shop")
    bad = relais(url, "account", "countries", "--email", "a@b.fr", "XX")
    assert bad.returncode == 1 and "XX" in bad.stderr

    rule = relais(url, "moderation", "rule", "add", "word", "casino", "--email", "a@b.fr")
    assert rule.returncode == 0, rule.stderr
    listed = relais(url, "moderation", "rule", "list").stdout.split()
    assert listed[:3] == [rule.stdout.strip(), "word", "casino"]
    empty_queue = relais(url, "moderation", "queue")
    assert empty_queue.stdout == ""
    assert empty_queue.stderr.startswith("no campaign is waiting for review\n")
    assert relais(url, "moderation", "rule", "remove", rule.stdout.strip()).returncode == 0
    missing = relais(url, "moderation", "approve", "999")
    assert missing.returncode == 1 and missing.stderr


def test_a_sub_account_made_from_the_cli_takes_a_transfer_as_the_readme_shows(database_url):
    url = database_url
    assert (
        relais(
            url,
            "account",
            "create",
            "--email",
            "shop@example.com",
            "--password",
            "a long secret",
            "--credits",
            "1000",
        ).returncode
        == 0
    )
    made = relais(
        url,
        "account",
        "create",
        "--parent",
        "shop@example.com",
        "--email",
        "branch@example.com",
        "--password",
        "another secret",
    )
    assert made.returncode == 0 and made.stdout.strip().isdigit(), made.stderr
    moved = relais(
        url,
        "credits",
        "transfer",
        "--from",
        "shop@example.com",
        "--to",
        "branch@example.com",
        "100",
    )
    assert moved.stdout.strip() == "giver_balance=900 receiver_balance=100", moved.stderr
    with_credits = relais(
        url,
        "account",
        "create",
        "--parent",
        "shop@example.com",
        "--email",
        "other@example.com",
        "--password",
        "secret1",
        "--credits",
        "5",
    )
    assert with_credits.returncode == 1 and "credits transfer" in with_credits.stderr
    orphan = relais(
        url,
        "account",
        "create",
        "--parent",
        "nobody@example.com",
        "--email",
        "x@example.com",
        "--password",
        "secret1",
    )
    assert orphan.returncode == 1 and orphan.stderr.startswith("error: ")
