"""Snapshots of the cost meter after three recorded turns on two models (no clock)."""

from __future__ import annotations

import pytest
from snapshots.pane_harness import PaneApp, usage_events

from claw_tui.ui.widgets.cost_meter import CostMeter


def make_app() -> PaneApp:
    def setup(meter: CostMeter) -> None:
        meter.set_budget(0.16)
        meter.set_today(1.25)

    return PaneApp(CostMeter, usage_events(), setup=setup)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_cost_meter(snap_compare, size):
    """You should see, in the warning colour, "$0.1317 + price unknown (gpt-5-mini) this session
    · $1.38 today · budget $0.1600 (82%)"; the token line; a context bar at 8% with
    "30.0k / 400.0k (8%)"; three per-turn bars (tall, low, lowest) then "last price unknown";
    one line per model; and the "Near the budget" notification."""
    assert snap_compare(make_app(), terminal_size=size)
