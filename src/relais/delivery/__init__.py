"""Delivery: the dispatcher, its connector workers and the connectors themselves.

Entry points other than the server (the CLI) use delivery only through what this module
exports, so its insides can change without them."""

from relais.delivery.connectors.factory import build_connector, validate

__all__ = ["build_connector", "validate"]
