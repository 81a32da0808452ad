"""The main screen after one recorded turn, narrow and wide."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, play_turn, still


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen_after_a_turn(monkeypatch, snap_compare, size):
    """You should see the prompt, folded thinking, the "✓ Read src/lines.py" tool line and the
    answer with its code block. At 160x48 the tool log, diff, task and cost panes stand on
    the right, the cost pane with "1.5k / 1.00M (<1%)" and one per-turn bar; at 80x24 the
    conversation is full width. The status bar reads `~/project`, the model, "ask before edits"
    and "sandbox disabled"; the footer lists esc, f1, f2-f7, ^b, f8, f11 and ^p."""
    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=play_turn)


def test_main_screen_narrow_with_panes_shown(monkeypatch, snap_compare):
    """You should see the panes below the conversation as tabs (Tools, Diff, Tasks, Cost),
    with the Diff tab active after F4."""

    async def run_before(pilot) -> None:
        await play_turn(pilot)
        await pilot.press("f4")
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen_empty(monkeypatch, snap_compare, size):
    """You should see an empty conversation, the prompt with its placeholder, the status bar and footer."""
    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=still)
