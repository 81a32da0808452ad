"""The main screen after one recorded turn, narrow and wide; the boot screen `claw` draws before it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from claw_snap_app import make_app, play_turn, still
from textual import events
from textual.app import App

from claw_tui.ui.app import ClawApp
from claw_tui.ui.screens.boot import BootScreen
from claw_tui.ui.theming import CLAW_VARIABLES, DEFAULT_THEME, register_themes


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


class BootShown(App[None]):
    """claw's boot screen alone, as `claw` draws it before the rest has loaded."""

    CSS_PATH = ClawApp.CSS_PATH

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = DEFAULT_THEME
        project = Path(os.environ["HOME"]) / "project"
        project.mkdir(exist_ok=True)
        self.push_screen(BootScreen(project))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_boot_screen_with_keys_typed(snap_compare, size):
    """You should see the main screen's frame with empty panes (at 160x48 the Tools, Diff, Tasks and Cost
    boxes on the right; at 80x24 the conversation alone), the prompt holding "fix the test" as typed
    while claw loads, the status bar with `~/project` only, and the main screen's footer keys."""

    async def run_before(pilot) -> None:
        boot = pilot.app.screen
        for character in "fix the tesx":
            await boot.echo(events.Key(character, character))
        await boot.echo(events.Key("backspace", "\x7f"))
        await boot.echo(events.Paste("t"))
        await still(pilot)

    assert snap_compare(BootShown(), terminal_size=size, run_before=run_before)
