"""A serving process's heap, once it is ready to serve, kept out of the cyclic collector's way.

What is alive by then (modules, classes, tables, compiled statements, settings) lives as long
as the process, and a full collection walked all of it: 55-110 ms a pass, every second or so
under load, with every thread stopped, the SQLite writer too while it held the write lock
(docs/performance.md, "Collector pauses"). Frozen, a pass walks only what serving created
since: 0.1-0.4 ms."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect what start-up left as garbage (frozen, it would never go), then freeze the
    rest: the collector ignores it from now on."""
    gc.collect()
    gc.freeze()
