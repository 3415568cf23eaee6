"""What a newcomer meets at `relais serve` and the first commands: one `error:` line that says
what to fix (never a traceback), a refusal to share a busy port, the version, and a help
that names the settings."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from tests.support import free_port

from relais.server.command import shown_database


def relais(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_a_busy_port_is_refused_not_shared(database_url: str):
    port = free_port()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as granian listens
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = relais("serve", RELAIS_DATABASE_URL=database_url, RELAIS_PORT=str(port))
    assert f"port {port}" in one_error_line(done)


@pytest.mark.parametrize("command", [("serve",), ("account", "list")])
def test_a_setting_that_is_not_a_number_is_named(tmp_path, command):
    done = relais(*command, RELAIS_DATABASE_URL=f"sqlite:///{tmp_path}/r.db", RELAIS_PORT="abc")
    assert "RELAIS_PORT" in one_error_line(done)


def test_an_unreachable_database_is_named_with_its_password_masked():
    port = free_port()  # nothing listens there
    url = f"postgresql://relais:hunter2@127.0.0.1:{port}/relais"
    for command in (("serve",), ("account", "list"), ("migrate",)):
        line = one_error_line(relais(*command, RELAIS_DATABASE_URL=url))
        assert f"127.0.0.1:{port}/relais" in line and "refused" in line, line
        assert "hunter2" not in line


def test_version_is_printed():
    done = relais("--version")
    assert done.returncode == 0 and done.stdout.startswith("relais "), done
    assert done.stdout.split()[1][0].isdigit()


def test_serve_help_names_the_settings_it_reads():
    done = relais("serve", "--help", COLUMNS="200")
    assert done.returncode == 0, done
    for variable in ("RELAIS_DATABASE_URL", "RELAIS_PORT", "RELAIS_ROLE", "RELAIS_API_WORKERS"):
        assert variable in done.stdout


@pytest.mark.parametrize("role", ["all", "delivery"])
def test_serve_names_the_database_it_uses_for_every_role(tmp_path, role):
    """README.md: `relais serve` prints which database the commands must share."""
    database_url = f"sqlite:///{tmp_path}/r.db"
    env = {**os.environ, "RELAIS_DATABASE_URL": database_url, "RELAIS_PORT": str(free_port())}
    server = subprocess.Popen(
        [sys.executable, "-m", "relais", "serve", "--role", role],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        first_line = server.stdout.readline()
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # only its first line matters here
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()
    assert f"with database {database_url}" in first_line, first_line


def test_the_database_a_server_names_hides_its_password():
    shown = shown_database("postgresql://relais:hunter2@db.example.net/relais")
    assert shown == "postgresql://relais:***@db.example.net/relais"


@pytest.mark.parametrize("role", ["all", "delivery"])
@pytest.mark.parametrize("after_s", [0.0, 0.4])
def test_ctrl_c_during_start_up_stops_the_server(tmp_path, role, after_s):
    """A Ctrl-C landing while the server starts (migrations, imports, granian's start) must
    stop it, not be lost in a finaliser and leave it running."""
    env = {
        **os.environ,
        "RELAIS_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
        "RELAIS_PORT": str(free_port()),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "relais", "serve", "--role", role],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        time.sleep(after_s)
        os.killpg(server.pid, signal.SIGINT)
        assert server.wait(timeout=30) == 0
        if role == "delivery":  # a delivery process never starts the API's part
            assert "Relais on" not in server.stdout.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()
