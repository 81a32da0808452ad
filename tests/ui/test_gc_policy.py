"""The app's garbage-collection policy: no automatic full pass; start-up objects frozen; a full pass when idle."""

from __future__ import annotations

import gc

import pytest

from claw_tui.ui import gc_policy
from claw_tui.ui.gc_policy import IdleCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector():
    busy = {"now": False}
    collector = IdleCollector(busy=lambda: busy["now"])
    collector.busy = busy  # type: ignore[attr-defined]
    yield collector
    collector.stop()


def young_passes(count: int) -> None:
    """Run `count` generation-1 passes, as allocation would."""
    for _ in range(count):
        gc.collect(1)


def test_full_passes_wait_for_an_idle_app_then_run(collector, monkeypatch):
    before = gc.get_threshold()
    collector.start()
    assert gc.get_threshold()[2] == gc_policy.NEVER, "no automatic full pass while the app runs"
    collector.tick()
    assert gc.get_freeze_count() > 0, "start-up's objects are frozen out of full passes"

    garbage = Cycle()
    young_passes(gc_policy.DUE_AFTER)  # it outlives them: only a full pass can free it
    del garbage
    collector.busy["now"] = True  # a turn is running
    collector.tick()
    assert gc.get_count()[2] >= gc_policy.DUE_AFTER, "no full pass during a turn"

    collector.busy["now"] = False
    collector.tick()
    assert gc.get_count()[2] >= gc_policy.DUE_AFTER, "nor right after it"

    monkeypatch.setattr(gc_policy, "QUIET_S", 0.0)
    collected = gc.get_stats()[2]["collected"]
    collector.tick()
    assert gc.get_count()[2] == 0, "a full pass once the app is quiet"
    assert gc.get_stats()[2]["collected"] > collected, "and it frees cyclic garbage"

    collector.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0, "stop() leaves the interpreter as it was"


def test_a_long_turn_still_gets_a_full_pass_past_the_ceiling(collector, monkeypatch):
    monkeypatch.setattr(gc_policy, "CEILING", 3)
    collector.start()
    collector.tick()
    collector.busy["now"] = True
    young_passes(3)
    collector.tick()
    assert gc.get_count()[2] == 0


def test_input_counts_as_activity(collector, monkeypatch):
    monkeypatch.setattr(gc_policy, "QUIET_S", 60.0)
    collector.start()
    collector.tick()
    young_passes(gc_policy.DUE_AFTER)
    collector.touch()
    collector.tick()
    assert gc.get_count()[2] >= gc_policy.DUE_AFTER
