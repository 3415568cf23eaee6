"""`GET /metrics`: Prometheus text exposition for operators (connectors, receipts, commits).

Read on each scrape from this process's live objects and from the last reports of the other
processes (services/process_reports.py), so nothing needs updating on the hot path."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from relais.services import process_reports
from relais.services.platform import Platform
from relais.services.process_reports import ProcessFigures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RelaisCollector(Collector):
    def __init__(self, platform: Platform, processes: list[ProcessFigures]) -> None:
        self.platform = platform
        self.processes = processes

    def collect(self) -> Iterator[Metric]:
        bound = GaugeMetricFamily(
            "relais_connector_bound", "1 when the connector is bound", labels=["connector", "kind"]
        )
        in_flight = GaugeMetricFamily(
            "relais_connector_in_flight",
            "Submits awaiting the carrier's answer",
            labels=["connector"],
        )
        counters = {
            field: CounterMetricFamily(
                f"relais_connector_{field}", f"Connector {field}", labels=["connector"]
            )
            for field in ("submitted", "receipts", "inbound", "errors")
        }
        for figures in self.processes:
            for status in figures.connectors:
                bound.add_metric([status.name, status.kind], 1.0 if status.bound else 0.0)
                in_flight.add_metric([status.name], status.in_flight)
                for field, family in counters.items():
                    family.add_metric([status.name], getattr(status, field))
        yield bound
        yield in_flight
        yield from counters.values()
        # Counters are summed over the live processes: one restarting resets its share.
        delivering = [f for f in self.processes if f.delivers]
        if delivering:
            yield _counter(
                "relais_receipts_applied",
                "Messages moved by delivery receipts",
                sum(f.receipts_applied for f in delivering),
            )
            yield _counter(
                "relais_receipts_unmatched",
                "Receipts that matched no submitted part",
                sum(f.receipts_unmatched for f in delivering),
            )
            yield _counter(
                "relais_inbound_stored",
                "Inbound SMS stored",
                sum(f.inbound_stored for f in delivering),
            )
        senders = [f for f in self.processes if f.sends_webhooks]
        if senders:
            yield _counter(
                "relais_webhook_events_delivered",
                "Webhook events delivered",
                sum(f.webhook_events_delivered for f in senders),
            )
            yield _counter(
                "relais_webhook_attempts_failed",
                "Webhook delivery attempts that failed (to be retried or given up)",
                sum(f.webhook_attempts_failed for f in senders),
            )
            # Every sender reads the same outbox: its freshest reading is the backlog.
            yield _gauge(
                "relais_webhook_events_pending",
                "Webhook events waiting for delivery",
                max(f.webhook_events_pending for f in senders),
            )
            yield _gauge(
                "relais_webhook_oldest_pending_seconds",
                "Age of the oldest webhook event waiting for delivery",
                max(f.webhook_oldest_pending_seconds for f in senders),
            )
        # The database writer of each process, by role: on SQLite the write seconds of all
        # processes together near the elapsed time means the one write lock is the limit.
        writers = [
            ("groups_committed", "Write transactions committed"),
            ("works_committed", "Writes committed (several share a transaction)"),
            ("write_seconds", "Seconds spent inside write transactions"),
            ("turn_wait_seconds", "Seconds waited for SQLite's write turn"),
            ("syncs", "Syncs of SQLite's WAL, each after one or more commits"),
            ("sync_seconds", "Seconds spent in syncs of SQLite's WAL"),
        ]
        for name, help_text in writers:
            family = CounterMetricFamily(f"relais_db_{name}", help_text, labels=["role"])
            by_role: dict[str, float] = {}
            for figures in self.processes:
                value = getattr(figures, f"db_{name}")
                by_role[figures.role] = by_role.get(figures.role, 0) + value
            for role, value in sorted(by_role.items()):
                family.add_metric([role], value)
            yield family


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text)
    family.add_metric([], value)
    return family


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text)
    family.add_metric([], value)
    return family


async def metrics(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RelaisCollector(platform, await process_reports.everyone(platform)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
