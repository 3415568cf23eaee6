"""`GET /metrics`: Prometheus text exposition for operators (connectors, receipts, commits).

Read on each scrape from the live objects, so nothing is counted twice and nothing needs
updating on the hot path."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from relais.services.platform import Platform

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RelaisCollector(Collector):
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

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
        dispatcher = self.platform.dispatcher
        statuses = dispatcher.statuses() if dispatcher is not None else []
        for status in statuses:
            bound.add_metric([status.name, status.kind], 1.0 if status.bound else 0.0)
            in_flight.add_metric([status.name], status.in_flight)
            for field, family in counters.items():
                family.add_metric([status.name], getattr(status, field))
        yield bound
        yield in_flight
        yield from counters.values()
        if dispatcher is not None:
            yield _counter(
                "relais_receipts_applied",
                "Messages moved by delivery receipts",
                dispatcher.receipts_applied,
            )
            yield _counter(
                "relais_receipts_unmatched",
                "Receipts that matched no submitted part",
                dispatcher.receipts_unmatched,
            )
            yield _counter("relais_inbound_stored", "Inbound SMS stored", dispatcher.inbound_stored)
        sender = self.platform.webhooks
        if sender is not None:
            yield _counter(
                "relais_webhook_events_delivered", "Webhook events delivered", sender.delivered
            )
            yield _counter(
                "relais_webhook_attempts_failed",
                "Webhook delivery attempts that failed (to be retried or given up)",
                sender.failed_attempts,
            )
            yield _gauge(
                "relais_webhook_events_pending",
                "Webhook events waiting for delivery",
                sender.pending,
            )
            yield _gauge(
                "relais_webhook_oldest_pending_seconds",
                "Age of the oldest webhook event waiting for delivery",
                sender.oldest_pending_age_s,
            )
        db = self.platform.db
        for name in ("groups_committed", "works_committed"):
            if hasattr(db, name):
                family = CounterMetricFamily(f"relais_db_{name}", f"Database {name}")
                family.add_metric([], getattr(db, name))
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
    registry.register(RelaisCollector(platform))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
