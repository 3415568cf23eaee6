"""The processes `relais serve` becomes, started without the CLI: each imports only what it
runs. The `relais` program imports every command (~60 MB per process); the supervisor
needs granian and its settings only (docs/performance.md, "Memory").

    python -m relais.server --role all|api [--workers N]   the supervisor of the API workers
    python -m relais.server --role delivery                 a delivery process
"""

from relais.server.supervisor import StopRequest

# First, before any import that takes time: a Ctrl-C from now on stops the server.
stop = StopRequest()

import argparse  # noqa: E402

from relais.config import Settings  # noqa: E402
from relais.server.supervisor import serve_http, serve_with_delivery  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m relais.server")
    parser.add_argument("--role", choices=["all", "api", "delivery"], required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.role == "delivery":
        from relais.server.delivery import run_delivery

        run_delivery(settings, stop_requested=lambda: stop.requested)
        return
    serve_with_delivery(
        lambda: serve_http(settings, args.workers, stop),
        delivery=args.role == "all",  # with RELAIS_DISPATCHER=false it still runs retention
    )


main()
