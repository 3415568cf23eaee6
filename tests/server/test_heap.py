"""A serving process freezes its start-up heap: what is alive stays out of the collector's
passes from then on, and garbage left by start-up is collected first, not frozen for good."""

from __future__ import annotations

import gc
import weakref

from relais.server.heap import freeze_startup_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_start_up_heap_is_frozen_and_its_garbage_collected_first():
    kept = _Node()
    cycle_a, cycle_b = _Node(), _Node()
    cycle_a.other, cycle_b.other = cycle_b, cycle_a  # garbage only a collection can free
    gone = weakref.ref(cycle_a)
    del cycle_a, cycle_b
    gc.disable()  # no collection of the test's own making before the freeze
    try:
        freeze_startup_heap()
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(obj is kept for obj in gc.get_objects())  # out of every generation
    finally:
        gc.unfreeze()
        gc.enable()
    assert any(obj is kept for obj in gc.get_objects())
