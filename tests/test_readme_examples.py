"""Every shell example of README.md runs as written, in order, as a newcomer would run it: a
fresh HOME (so the default database), the venv's `relais` on PATH, a real `relais serve`.

A command exits 0 and, where the README says what it prints or does, does that. Long-running
commands (`relais serve ...`, `relais smsc-simulator`) are started, seen serving, and stopped
with Ctrl-C (SIGINT to their process group), which must exit 0. Only the set-up scripts of
SETUP_SCRIPTS are not run; `./scripts/demo` is stood in for by its own last line."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHELL_FENCES = {"sh", "bash", "shell", "console", "shell-session"}
PROMPTED_FENCES = {"console", "shell-session"}  # `$ command`, then its output
# Commands the suite cannot run (they make a venv, or run this suite), and why that is fine.
SETUP_SCRIPTS = {
    "./scripts/demo": "makes .venv and installs; its last line (`relais serve --demo`) is run",
    "./scripts/test": "runs this very suite (and ruff, lint-imports, mypy)",
}
# Where the README's examples listen; the test's servers get free ports instead.
README_BASE = "http://127.0.0.1:8080"
LONG_RUNNING = re.compile(r"^relais (serve|smsc-simulator)\b")
PLACEHOLDER = re.compile(r"<[a-z_]+>")


@dataclass
class Ran:
    """A finished command: what was run (placeholders filled), its exit code and output."""

    command: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Server:
    """A long-running command started in its own process group, its output in a file."""

    command: str
    process: subprocess.Popen[bytes]
    log: Path
    base: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Reader:
    """The newcomer: a shell environment, a working directory, what earlier commands
    printed (`noted`, which fills the README's placeholders) and the servers left running."""

    env: dict[str, str]
    cwd: Path
    database: Path
    noted: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)

    def run(self, command: str) -> Ran:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ran = Ran(command, done.returncode, done.stdout, done.stderr)
        assert ran.returncode == 0, f"`{command}` exited {ran.returncode}:\n{ran.stderr}"
        return ran

    def start(self, command: str) -> Server:
        port = free_port()
        log = self.cwd / f"server-{len(self.servers)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.cwd,
                env={**self.env, "RELAIS_PORT": str(port)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(command, process, log, f"http://127.0.0.1:{port}")
        self.servers.append(server)
        return server

    def shop_client(self) -> httpx.Client:
        """The shop's own client of the demo server, with the token `token create` printed."""
        return httpx.Client(
            base_url=self.noted["base"],
            headers={"Accept": "application/json", "Authorization": f"Bearer {self.noted['shop']}"},
            timeout=30,
        )


def readme_commands(text: str) -> list[str]:
    """The commands of every shell block, in order: lines continued with a backslash joined,
    blank and comment-only lines skipped; in a console block only `$ ` lines (the rest is
    what they print)."""
    commands: list[str] = []
    for fence, body in re.findall(r"^```([\w-]*)\n(.*?)^```", text, flags=re.M | re.S):
        if fence not in SHELL_FENCES:
            continue
        for line in re.sub(r"\\\n\s*", " ", body).splitlines():
            if fence in PROMPTED_FENCES:
                if not line.startswith("$ "):
                    continue
                line = line.removeprefix("$ ")
            if line.strip() and not line.strip().startswith("#"):
                commands.append(line.strip())
    return commands


def demo_stand_in() -> str:
    """What `./scripts/demo` ends with (`exec .venv/bin/relais serve --demo`), run with the
    venv already made: its `relais` is found on PATH."""
    lines = (ROOT / "scripts" / "demo").read_text().splitlines()
    argv = shlex.split([line for line in lines if line.startswith("exec ")][-1])[1:]
    assert argv[0] == ".venv/bin/relais", argv
    return shlex.join(["relais", *argv[1:]])


def fill(command: str, reader: Reader) -> str:
    """The command as the reader types it: the README's address replaced by the demo
    server's, a fixed `--port` of a server by a free one, placeholders by earlier output."""
    command = command.replace(README_BASE, reader.noted.get("base", README_BASE))
    if LONG_RUNNING.match(command):
        command = re.sub(r"--port \d+", f"--port {free_port()}", command)
    for placeholder in PLACEHOLDER.findall(command):
        name = placeholder.strip("<>")
        assert name in reader.noted, f"nothing printed earlier fills {placeholder}: {command}"
        command = command.replace(placeholder, reader.noted[name])
    return command


def wait_for(predicate: Callable[[], bool], server: Server, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert server.process.poll() is None, f"`{server.command}` exited:\n{server.output()}"
        assert time.monotonic() < deadline, f"`{server.command}`: {what}\n{server.output()}"
        time.sleep(0.1)


def answers_http(base: str) -> bool:
    try:
        httpx.get(base + "/credits", timeout=1)
    except httpx.TransportError:
        return False
    return True


def wait_until_serving(server: Server, reader: Reader) -> None:
    """Up as the README says: the API answers (or, for the delivery role, it runs and
    answers nothing), the simulator listens; `relais serve` names the shared database."""
    if server.command.startswith("relais smsc-simulator"):
        wait_for(lambda: "listening on" in server.output(), server, "never listened")
        return
    database = f"with database sqlite:///{reader.database}"
    wait_for(lambda: database in server.output(), server, "did not name its database")
    if "--role delivery" in server.command:
        time.sleep(2)
        assert server.process.poll() is None, server.output()
        assert not answers_http(server.base), "the delivery role serves HTTP"
    else:
        wait_for(lambda: answers_http(server.base), server, "did not answer HTTP")


def stop(server: Server) -> None:
    """Ctrl-C, as in a terminal: the whole foreground process group gets SIGINT."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGINT)
    try:
        returncode = server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        raise AssertionError(f"`{server.command}` ignored Ctrl-C:\n{server.output()}") from None
    assert returncode == 0, f"`{server.command}` exited {returncode}:\n{server.output()}"


# What the README says a command prints or does, checked after it ran (and what the reader
# does between commands, before it). Each must match some example: a README that loses one
# says so here.


def note_demo_token(server: Server, reader: Reader) -> None:
    """`./scripts/demo` prints the token the curl examples' <token> stands for."""
    wait_for(lambda: "/campaigns" in server.output(), server, "printed no curl example")
    tokens = [line.strip() for line in server.output().splitlines() if "rl_" in line]
    assert tokens and tokens[0].startswith("rl_"), server.output()
    reader.noted.update(token=tokens[0], base=server.base)


def sent_is_accepted(ran: Ran, reader: Reader) -> None:
    sent = json.loads(ran.stdout)
    assert sent["status"] == 1 and sent["sent"] == 1, sent
    reader.noted["ticket"] = str(sent["ticket"])


def campaigns_list_the_sent_one(ran: Ran, reader: Reader) -> None:
    assert reader.noted["ticket"] in ran.stdout, ran.stdout
    json.loads(ran.stdout)


def prints_an_id(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.strip().isdigit(), ran.stdout


def prints_the_new_balance(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.strip() == "balance=1500", ran.stdout  # created with 1000, added 500


def prints_the_token_once(ran: Ran, reader: Reader) -> None:
    assert re.fullmatch(r"rl_\S+", ran.stdout.strip()), ran.stdout
    reader.noted["shop"] = ran.stdout.strip()


def balances(reader: Reader) -> dict[str, int]:
    listed = reader.run("relais account list").stdout
    return {m[1]: int(m[2]) for m in re.finditer(r"^\d+ (\S+) \S+ balance=(\d+)", listed, re.M)}


def note_balances(reader: Reader) -> None:
    reader.noted["balances"] = json.dumps(balances(reader))


def transfer_moves_credits(ran: Ran, reader: Reader) -> None:
    before = json.loads(reader.noted["balances"])
    after = balances(reader)
    assert after["shop@example.com"] == before["shop@example.com"] - 100, (before, after)
    assert after["branch@example.com"] == before["branch@example.com"] + 100, (before, after)


def prints_ok(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.strip() == "ok", ran.stdout


def suspension_refuses_sends(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.startswith("held="), ran.stdout
    with reader.shop_client() as shop:
        refused = shop.get("/send", params={"to": "33612345678", "text": "Hello"}).json()
    assert refused["status"] != 1, refused


def prints_how_many_were_released(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.startswith("released="), ran.stdout


def prints_an_operator_token(ran: Ran, reader: Reader) -> None:
    assert re.fullmatch(r"op_\S+", ran.stdout.strip()), ran.stdout


def audit_names_the_changes(ran: Ran, reader: Reader) -> None:
    for action in ("account.create", "account.credits", "account.transfer", "account.suspend"):
        assert f" {action} " in ran.stdout, ran.stdout


def write_customers_csv(reader: Reader) -> None:
    """The reader's own file of contacts (docs/lists.md: a number column, info1..info4)."""
    (reader.cwd / "customers.csv").write_text("number,info1\n0612345678,Ann\n0698765432,Bob\n")


def imports_the_contacts(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.startswith("contacts=2 invalid=0 duplicates=0 id="), ran.stdout


def shop_sends_its_first_campaign(reader: Reader) -> None:
    """What the queue waits for: the shop sends, through its own client."""
    with reader.shop_client() as shop:
        sent = shop.get("/send", params={"to": "33612345678", "text": "Sale"}).json()
    assert sent["status"] == -8, sent  # SMSFactor's "under moderation": taken, held


def queue_shows_the_held_campaign(ran: Ran, reader: Reader) -> None:
    held = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [c["email"] for c in held] == ["shop@example.com"], held
    reader.noted["campaign_id"] = str(held[0]["campaign_id"])


def shop_adds_a_webhook(reader: Reader) -> None:
    """What the webhook list shows: the shop registered one, through its own client."""
    hook = {"webhook": {"type": "MO", "url": "https://hooks.example.com/relais"}}
    with reader.shop_client() as shop:
        created = shop.post("/webhook", json=hook)
    assert created.status_code == 200, created.text


def lists_the_webhook(ran: Ran, reader: Reader) -> None:
    fields = ran.stdout.split("\t")
    assert fields[1:3] == ["MO", "live"] and "failed=0" in ran.stdout, ran.stdout
    reader.noted["webhook_id"] = fields[0]


def replays_no_failed_event(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.strip() == "replayed 0", ran.stdout  # none failed yet


def connector_is_listed(ran: Ran, reader: Reader) -> None:
    assert ran.stdout.startswith("orange\tsmpp\tenabled"), ran.stdout


@dataclass(frozen=True)
class Expectation:
    """A README claim: the command it is about (a regex), what to check after it ran, and
    what the reader has done before it."""

    about: str
    after: Callable[[Ran, Reader], None]
    before: Callable[[Reader], None] | None = None


EXPECTATIONS = [
    Expectation(r"^curl .*/send\?", sent_is_accepted),
    Expectation(r"^curl .*/campaigns$", campaigns_list_the_sent_one),
    Expectation(r"^relais account create --email", prints_an_id),
    Expectation(r"^relais credits add ", prints_the_new_balance),
    Expectation(r"^relais token create ", prints_the_token_once),
    Expectation(r"^relais account create --parent", prints_an_id),
    Expectation(r"^relais credits transfer ", transfer_moves_credits, note_balances),
    Expectation(r"^relais price set ", prints_ok),
    Expectation(r"^relais account suspend ", suspension_refuses_sends),
    Expectation(r"^relais account unlock ", prints_how_many_were_released),
    Expectation(r"^relais operator token create ", prints_an_operator_token),
    Expectation(r"^relais audit list", audit_names_the_changes),
    Expectation(r"^relais list import customers\.csv", imports_the_contacts, write_customers_csv),
    Expectation(r"^relais moderation rule add ", prints_an_id),
    Expectation(
        r"^relais moderation queue", queue_shows_the_held_campaign, shop_sends_its_first_campaign
    ),
    Expectation(r"^relais moderation approve ", prints_ok),
    Expectation(r"^relais migrate", prints_ok),
    Expectation(r"^relais route add ", prints_an_id),
    Expectation(r"^relais connector list", connector_is_listed),
    Expectation(r"^relais webhook list ", lists_the_webhook, shop_adds_a_webhook),
    Expectation(r"^relais webhook replay ", replays_no_failed_event),
]


def expectations_of(command: str) -> list[Expectation]:
    return [e for e in EXPECTATIONS if re.search(e.about, command)]


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[Reader]:
    """A newcomer's shell: a fresh HOME and XDG_DATA_HOME (so the default database is new),
    no RELAIS_* setting, this venv's bin first on PATH; servers stopped at the end."""
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "relais").exists(), f"no relais command beside {sys.executable}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PATH=os.pathsep.join([str(venv_bin), env.get("PATH", "")]),
    )
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    reader = Reader(env, tmp_path / "work", tmp_path / "data" / "relais" / "relais.db")
    try:
        yield reader
    finally:
        for server in reader.servers:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()


def follow(command: str, reader: Reader) -> None:
    """Run one README command as the reader would, and check what the README says of it."""
    if command in SETUP_SCRIPTS:
        if command == "./scripts/demo":
            server = reader.start(demo_stand_in())
            wait_until_serving(server, reader)
            note_demo_token(server, reader)  # left running, as in the reader's other terminal
        return
    expectations = expectations_of(command)
    for expectation in expectations:
        if expectation.before:
            expectation.before(reader)
    typed = fill(command, reader)
    if LONG_RUNNING.match(typed):
        server = reader.start(typed)
        wait_until_serving(server, reader)
        stop(server)
        return
    ran = reader.run(typed)
    for expectation in expectations:
        expectation.after(ran, reader)


def test_the_set_up_scripts_left_out_are_only_those_the_suite_cannot_run():
    assert set(SETUP_SCRIPTS) == {"./scripts/demo", "./scripts/test"}
    commands = readme_commands(README.read_text())
    assert set(SETUP_SCRIPTS) <= set(commands), "a set-up script left the README: drop it here"


def test_every_readme_example_runs_as_written_and_does_what_it_says(reader: Reader):
    commands = readme_commands(README.read_text())
    assert len(commands) > 20, commands
    for command in commands:
        follow(command, reader)
    unmet = [e.about for e in EXPECTATIONS if not any(re.search(e.about, c) for c in commands)]
    assert not unmet, f"no README example for these checks any more: {unmet}"
    for server in reader.servers:
        stop(server)
