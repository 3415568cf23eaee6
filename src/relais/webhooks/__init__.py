"""Webhooks: the sender that delivers the event outbox to customers' URLs over HTTP, signed
and retried, and the rules of where it may send."""
