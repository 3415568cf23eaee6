"""Entry points that compose everything: `relais serve` (HTTP workers and delivery
processes), the background work of a serving process, and the `relais` program."""
