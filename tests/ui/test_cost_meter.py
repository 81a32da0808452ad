"""The cost meter: totals, today, budget warning, unknown prices, per-model lines, context gauge."""

from __future__ import annotations

import pytest
from snapshots.pane_harness import MODEL, PaneApp, usage_events
from textual.widgets import ProgressBar, Static

from claw_tui.core import events as ev
from claw_tui.ui.widgets.cost_meter import CostMeter, TurnBars, turn_bars


def text(meter: CostMeter, widget_id: str) -> str:
    return str(meter.query_one(f"#{widget_id}", Static).render().plain)


async def test_totals_per_model_breakdown_context_and_turns():
    app = PaneApp(CostMeter, usage_events())
    async with app.run_test(size=(90, 12)) as pilot:
        await pilot.pause()
        meter = app.pane
        assert meter.input_tokens == 46_500 and meter.output_tokens == 3_300
        assert meter.cache_read_tokens == 43_500 and meter.cache_write_tokens == 9_000
        assert text(meter, "cost-money") == "$0.1317 + price unknown (gpt-5-mini) this session"
        assert text(meter, "cost-tokens") == "in 46.5k · out 3.3k · cache read 43.5k · write 9.0k"
        assert meter.has_class("-many-models")
        assert text(meter, "cost-models").splitlines() == [
            "claude-sonnet-4-6  $0.1317  16.5k in / 2.4k out",
            "gpt-5-mini  price unknown  30.0k in / 900 out",
        ]
        assert meter.turn_costs == pytest.approx([0.098, 0.0337, 0.0])
        # One bar per turn scaled to the dearest, then the last turn's cost (unknown: its model has no price).
        assert str(meter.query_one(TurnBars).render()) == "█▃▁ last price unknown"
        bar = meter.query_one(ProgressBar)
        assert (bar.progress, bar.total) == (30_000, 400_000)
        assert text(meter, "cost-context-label") == "30.0k / 400.0k (8%)"


def test_turn_bars_keep_the_newest_turns_that_fit():
    assert str(turn_bars([], 20)) == "no turns yet"
    costs = [0.01 * n for n in range(1, 41)]
    assert str(turn_bars(costs, 20)) == "▇▇▇▇███ last $0.4000"


async def test_a_fresh_meter_shows_the_catalog_window_of_the_model():
    """Before the first call the gauge already knows the model's window, and no bar animates."""
    app = PaneApp(CostMeter, setup=lambda meter: meter.set_model("anthropic/claude-sonnet-4-6"))
    async with app.run_test() as pilot:
        await pilot.pause()
        meter = app.pane
        assert text(meter, "cost-money") == "$0.0000 this session"
        assert text(meter, "cost-tokens") == "in 0 · out 0 · cache read 0 · write 0"
        assert text(meter, "cost-context-label") == "0 / 1.00M (0%)"
        assert meter.query_one(ProgressBar).total == 1_000_000
        assert str(meter.query_one(TurnBars).render()) == "no turns yet"
        # A usage event without context figures still fills the gauge from its tokens.
        meter.handle_event(ev.Usage(model="anthropic/claude-sonnet-4-6", input_tokens=1_000, output_tokens=200, ts=0))
        await pilot.pause()
        assert text(meter, "cost-context-label") == "1.2k / 1.00M (<1%)"
        meter.set_model("local/llama3")
        await pilot.pause()
        assert text(meter, "cost-context-label") == "1.2k / window unknown"
        assert not meter.query_one(ProgressBar).display


async def test_budget_warns_at_80_percent_and_today_adds_this_session():
    app = PaneApp(CostMeter)
    async with app.run_test() as pilot:
        meter = app.pane
        meter.set_budget(1.0)
        meter.set_today(2.5)
        meter.handle_event(ev.Usage(model=MODEL, input_tokens=10, cost_usd=0.5, ts=0))
        await pilot.pause()
        assert text(meter, "cost-money") == "$0.5000 this session · $3.00 today · budget $1.00 (50%)"
        assert not meter.has_class("-warn")
        meter.handle_event(ev.Usage(model=MODEL, input_tokens=10, cost_usd=0.31, ts=0))
        await pilot.pause()
        assert meter.has_class("-warn") and not meter.has_class("-over")
        meter.handle_event(ev.Usage(model=MODEL, input_tokens=10, cost_usd=0.2, ts=0))
        await pilot.pause()
        assert meter.has_class("-over") and not meter.has_class("-warn")
        assert [n.message for n in app._notifications] == [
            "Near the budget: $0.8100 of the $1.00 session budget spent.",
            "Budget reached: $1.01 of the $1.00 session budget.",
        ]
        meter.set_budget(None)
        await pilot.pause()
        assert not meter.has_class("-over")
        assert not meter.has_class("-many-models")


async def test_unknown_price_and_subagent_usage():
    app = PaneApp(CostMeter)
    async with app.run_test() as pilot:
        meter = app.pane
        meter.handle_event(ev.Usage(model="local/llama3", input_tokens=500, output_tokens=20, context_tokens=500, ts=0))
        await pilot.pause()
        assert text(meter, "cost-money") == "price unknown this session"
        assert text(meter, "cost-context-label") == "500 / window unknown"
        # A subagent's usage counts toward money and tokens, not toward the main context gauge.
        meter.handle_event(
            ev.Usage(model="local/llama3", input_tokens=9_000, context_tokens=9_000, context_window=8_192, agent_id="a1", ts=0)
        )
        meter.handle_event(ev.TurnFinished(turn_id="t", stop_reason="end_turn", agent_id="a1", ts=0))
        await pilot.pause()
        assert meter.input_tokens == 9_500
        assert meter.context_tokens == 500
        assert meter.turn_costs == []  # a subagent's turn is not a turn of the session
