"""
`relais smsc-simulator`: the simulator as a standalone carrier for users trying an SMPP
integration without a carrier contract, and for load tests.

`relais/cli.py` registers the command with `add_simulator_command(app)`; the work is in
`run_simulator_from_options`, which any other entry point can call with plain values.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from typing import Annotated, Any

import typer

from relais.core.errors import ConfigError
from relais.smsc_simulator.options import config_from_options
from relais.smsc_simulator.server import SmscSimulator

__all__ = ["add_simulator_command", "run_simulator_from_options"]

_DEMO_TEXTS = (
    "Hello! Is my order on its way?",
    "Yes, see you tomorrow at 10.",
    "Can you call me back please?",
    "Merci, bien reçu 👍",
    "What time do you open on Saturday?",
)


def run_simulator_from_options(**options: Any) -> None:
    """Build the config, listen, print one line, and serve until SIGINT or SIGTERM.

    Besides the keywords of `config_from_options`: host, port, mo_every_s, stop_every_s,
    mo_source, mo_destination.

    Raises:
        ConfigError: an option has a value that cannot be used (before anything listens).
    """
    host = options.pop("host", "127.0.0.1")
    port = options.pop("port", 2775)
    demo = {
        key: options.pop(key, None)
        for key in ("mo_every_s", "stop_every_s", "mo_source", "mo_destination")
    }
    for key in ("mo_every_s", "stop_every_s"):
        if demo[key] is not None and demo[key] <= 0:
            raise ConfigError(f"--{key.replace('_', '-')} must be positive")
    config = config_from_options(**options)
    runner_options: dict[str, Any] = {}
    with contextlib.suppress(ImportError):
        import uvloop

        runner_options["loop_factory"] = uvloop.new_event_loop
    with asyncio.Runner(**runner_options) as runner:
        runner.run(_serve(SmscSimulator(config), host, port, demo))


async def _serve(simulator: SmscSimulator, host: str, port: int, demo: dict[str, Any]) -> None:
    await simulator.start(host, port)
    config = simulator.config
    who = config.system_id or "any"
    print(
        f"SMSC simulator listening on {host}:{simulator.port} "
        f"(system_id={who}, modes: {config.describe()})",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signum, stop.set)
    tasks = []
    if demo["mo_every_s"]:
        tasks.append(asyncio.create_task(_every(demo["mo_every_s"], simulator, demo, stop=False)))
    if demo["stop_every_s"]:
        tasks.append(asyncio.create_task(_every(demo["stop_every_s"], simulator, demo, stop=True)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await simulator.stop()
        counts = simulator.counters
        print(
            f"SMSC simulator stopped: {counts.submits} submits, {counts.accepted} accepted, "
            f"{counts.receipts_sent} receipts, {counts.mo_sent} MO sent",
            flush=True,
        )


async def _every(period: float, simulator: SmscSimulator, demo: dict[str, Any], *, stop: bool):
    """Inject an MO (or a STOP) every `period` seconds, from a random French mobile."""
    rng = random.Random()
    destination = demo["mo_destination"] or "33700000000"
    while True:
        await asyncio.sleep(period)
        source = demo["mo_source"] or f"336{rng.randrange(10**8):08d}"
        if stop:
            await simulator.inject_stop(source, destination)
        else:
            await simulator.inject_mo(
                source=source, destination=destination, text=rng.choice(_DEMO_TEXTS)
            )


def add_simulator_command(app: typer.Typer) -> None:
    """Register `smsc-simulator` on `app`."""
    app.command("smsc-simulator")(smsc_simulator)


def smsc_simulator(
    port: Annotated[int, typer.Option(help="TCP port (0: any free port)")] = 2775,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    system_id: Annotated[str | None, typer.Option(help="Only this system_id binds")] = None,
    password: Annotated[str | None, typer.Option(help="Only this password binds")] = None,
    max_binds: Annotated[int | None, typer.Option(help="Simultaneous binds per system_id")] = None,
    black_hole: Annotated[
        bool, typer.Option("--black-hole", help="Accept submits, never send receipts")
    ] = False,
    no_response: Annotated[
        bool, typer.Option("--no-response", help="Never answer submit_sm")
    ] = False,
    throttle: Annotated[
        int | None, typer.Option(help="Submits per second; above, ESME_RTHROTTLED")
    ] = None,
    submit_error: Annotated[
        str | None, typer.Option(help="Refuse submits with this status: 0x58, 88, ESME_RSYSERR")
    ] = None,
    submit_error_every: Annotated[
        int | None, typer.Option(help="Only every Nth submit gets --submit-error")
    ] = None,
    submit_error_destinations: Annotated[
        str | None, typer.Option(help="Only these comma-separated numbers get --submit-error")
    ] = None,
    disconnect_after: Annotated[
        int | None, typer.Option(help="Cut the link at the Nth submit, leaving it unanswered")
    ] = None,
    disconnect_repeat: Annotated[
        bool, typer.Option("--disconnect-repeat", help="Cut every connection, not the first only")
    ] = False,
    receipt_delay_ms: Annotated[
        str, typer.Option(help="Receipt delay in ms: 1000, or a range 500-3000")
    ] = "1000",
    stat_mix: Annotated[
        str, typer.Option(help="Receipt stats and weights: DELIVRD=0.9,UNDELIV=0.1")
    ] = "DELIVRD=1",
    receipt_parts: Annotated[
        str, typer.Option(help="Receipts of a long message: all, first or last part")
    ] = "all",
    receipt_before_response: Annotated[
        bool,
        typer.Option("--receipt-before-response", help="Send the receipt before submit_sm_resp"),
    ] = False,
    id_format: Annotated[str, typer.Option(help="message_id format: hex, decimal, uuid")] = "hex",
    receipt_id_format: Annotated[
        str, typer.Option(help="Id in receipts: same, hex, decimal")
    ] = "same",
    receipt_tlvs: Annotated[
        bool, typer.Option(help="receipted_message_id and message_state TLVs in receipts")
    ] = True,
    dedupe: Annotated[
        bool, typer.Option(help="Same id for a resubmit with the same user_message_reference")
    ] = True,
    dedupe_window_s: Annotated[
        float, typer.Option(help="How long a user_message_reference is remembered")
    ] = 300.0,
    deliver_window: Annotated[
        int, typer.Option(help="deliver_sm awaiting deliver_sm_resp per session")
    ] = 100,
    mo_every_s: Annotated[
        float | None, typer.Option(help="Send an inbound SMS to bound receivers every N s")
    ] = None,
    stop_every_s: Annotated[float | None, typer.Option(help="Send a STOP every N s")] = None,
    mo_source: Annotated[str | None, typer.Option(help="Sender of injected SMS")] = None,
    mo_destination: Annotated[
        str | None, typer.Option(help="Recipient of injected SMS (your number)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible runs")] = None,
) -> None:
    """Run a fault-injecting SMPP 3.4 carrier (SMSC) simulator until Ctrl-C."""
    options = dict(locals())  # first statement: exactly the options above
    try:
        run_simulator_from_options(**options, history_limit=100_000)
    except ConfigError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:  # the port is taken, the address is not ours
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=1) from None
