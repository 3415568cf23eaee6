"""`relais serve` end to end: a real granian server on a TCP port, the dispatcher and the
carrier simulator in the same process, an SMS sent over HTTP and seen delivered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from tests.support import free_port


@pytest.fixture
def server(database_url: str):
    port = free_port()
    env = {
        **os.environ,
        "RELAIS_DATABASE_URL": database_url,
        "RELAIS_PORT": str(port),
        "RELAIS_SIMULATOR_RECEIPT_DELAY_MS": "50",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "serve", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = []
        token = None
        for line in process.stdout:
            banner.append(line)
            if line.strip().startswith("rl_"):
                token = line.strip()
            if "/campaigns" in line:
                break
        assert token, "".join(banner)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/credits", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "server exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield base, token, "".join(banner)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def test_serve_demo_sends_and_delivers_over_http(server):
    base, token, banner = server
    assert "curl" in banner and token in banner
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    sent = httpx.get(
        base + "/send", params={"to": "33612345678", "text": "Hello"}, headers=headers
    ).json()
    assert sent["status"] == 1 and sent["sent"] == 1
    deadline = time.monotonic() + 20
    while True:
        campaign = httpx.get(f"{base}/campaign/{sent['ticket']}", headers=headers).json()
        if campaign["campaign"][0]["delivered"] == "1":
            break
        assert time.monotonic() < deadline, campaign
        time.sleep(0.1)
    assert campaign["campaign"][0]["status"] == "Sent"
    assert campaign["campaign"][0]["delivery_rate"] == "100"


def test_serve_exposes_connector_state_to_metrics_and_the_cli(server, database_url):
    base, _, _ = server
    bound = 'relais_connector_bound{connector="simulator",kind="simulator"} 1.0'
    # The delivery process binds, then reports to the API process through the database.
    deadline = time.monotonic() + 10
    while bound not in (metrics := httpx.get(base + "/metrics").text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.2)
    assert "relais_db_works_committed_total" in metrics
    env = {**os.environ, "RELAIS_DATABASE_URL": database_url}
    deadline = time.monotonic() + 10
    while True:
        listed = subprocess.run(
            [sys.executable, "-m", "relais", "connector", "list", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        if rows and rows[0]["state"].get("bound"):
            break
        assert time.monotonic() < deadline, listed.stdout
        time.sleep(0.5)
    assert rows[0]["name"] == "simulator"
