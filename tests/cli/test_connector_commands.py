"""`relais connector …` and `relais route …` as an operator scripts them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import free_port, relais


def test_connector_add_list_remove(database_url):
    added = relais(
        database_url,
        "connector",
        "add",
        "orange",
        "--host",
        "smpp.example.net",
        "--system-id",
        "ACME",
        "--password",
        "pw",
        "--set",
        "window=40",
        "--set",
        "tls=true",
    )
    assert (added.returncode, added.stdout.strip()) == (0, "created"), added.stderr
    again = relais(database_url, "connector", "add", "orange", "--host", "h", "--system-id", "A")
    assert again.stdout.strip() == "updated"
    listed = relais(database_url, "connector", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["name"], r["kind"], r["enabled"]) for r in rows] == [("orange", "smpp", True)]
    removed = relais(database_url, "connector", "remove", "orange")
    assert removed.returncode == 0
    assert relais(database_url, "connector", "list").stdout == ""
    assert relais(database_url, "connector", "remove", "orange").returncode == 1


def test_connector_add_refuses_bad_settings(database_url):
    no_host = relais(database_url, "connector", "add", "x", "--system-id", "A")
    assert no_host.returncode == 1 and "host" in no_host.stderr
    bad_window = relais(
        database_url,
        "connector",
        "add",
        "x",
        "--host",
        "h",
        "--system-id",
        "A",
        "--set",
        "window=-3",
    )
    assert bad_window.returncode == 1 and "window" in bad_window.stderr
    unknown = relais(
        database_url,
        "connector",
        "add",
        "x",
        "--host",
        "h",
        "--system-id",
        "A",
        "--set",
        "colour=blue",
    )
    assert unknown.returncode == 1 and "colour" in unknown.stderr
    bad_name = relais(database_url, "connector", "add", "Bad Name", "--kind", "simulator")
    assert bad_name.returncode == 1
    assert relais(database_url, "connector", "list").stdout == ""


def test_routes_add_list_remove(database_url):
    relais(
        database_url, "account", "create", "--email", "shop@example.com", "--password", "secret1"
    )
    first = relais(database_url, "route", "add", "--connector", "orange", "--prefix", "336")
    second = relais(
        database_url,
        "route",
        "add",
        "--connector",
        "vip",
        "--account",
        "shop@example.com",
        "--country",
        "fr",
        "--priority",
        "5",
    )
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    lines = relais(database_url, "route", "list").stdout.splitlines()
    assert len(lines) == 2
    assert "orange\tprefix=336\tcountry=*" in lines[0]
    assert "vip\tprefix=*\tcountry=FR" in lines[1] and "priority=5" in lines[1]
    assert (
        relais(database_url, "route", "add", "--connector", "x", "--prefix", "33a").returncode == 1
    )
    assert relais(database_url, "route", "remove", first.stdout.strip()).returncode == 0
    assert relais(database_url, "route", "remove", first.stdout.strip()).returncode == 1
    assert len(relais(database_url, "route", "list").stdout.splitlines()) == 1


def test_connector_load_applies_a_toml_file(database_url, tmp_path):
    config = tmp_path / "connectors.toml"
    config.write_text(
        """
[connectors.orange-fr]
kind = "smpp"
host = "smpp.example.net"
port = 2775
system_id = "ACME"
password = "pw"
window = 50

[connectors.lab]
kind = "simulator"
receipt_delay_ms = 100
outcomes = "delivered=0.9,not_delivered=0.1"

[[routes]]
connector = "orange-fr"
prefix = "336"

[[routes]]
connector = "lab"
"""
    )
    loaded = relais(database_url, "connector", "load", str(config))
    assert (loaded.returncode, loaded.stdout.strip()) == (0, "2 connectors, 2 routes"), (
        loaded.stderr
    )
    names = [
        json.loads(line)["name"]
        for line in relais(database_url, "connector", "list", "--json").stdout.splitlines()
    ]
    assert names == ["lab", "orange-fr"]
    broken = tmp_path / "broken.toml"
    broken.write_text("[connectors.x]\nkind = 'smpp'\n")
    failed = relais(database_url, "connector", "load", str(broken))
    assert failed.returncode == 1 and "host" in failed.stderr


def test_connector_test_binds_to_a_live_simulator(database_url):
    port = free_port()
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relais",
            "smsc-simulator",
            "--port",
            str(port),
            "--system-id",
            "ACME",
            "--password",
            "pw",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "listening" in simulator.stdout.readline()
        relais(
            database_url,
            "connector",
            "add",
            "lab",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--system-id",
            "ACME",
            "--password",
            "pw",
        )
        relais(
            database_url,
            "connector",
            "add",
            "wrong",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--system-id",
            "ACME",
            "--password",
            "nope",
        )
        ok = relais(database_url, "connector", "test", "lab")
        assert ok.returncode == 0 and "bound" in ok.stdout, ok.stderr
        refused = relais(database_url, "connector", "test", "wrong", "--seconds", "2")
        assert refused.returncode == 1 and "did not bind" in refused.stderr
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
        simulator.stdout.close()
