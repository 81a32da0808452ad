"""A ClawApp over a recorded agent, for the main-screen snapshot modules (no model, no clock, no machine paths).

The project lives in the test's home directory, so the status bar shows `~/project`.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyboard import type_text
from ui.recorded_turns import RecordedAgent, full_turn, settle

from claw_tui.ui.app import ClawApp

PROMPT = "Fix the off-by-one in count_lines, please."


def make_app(monkeypatch, *, with_key: bool = True) -> ClawApp:
    if with_key:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    project = Path(os.environ["HOME"]) / "project"
    project.mkdir(exist_ok=True)
    agent = RecordedAgent(project, full_turn())
    return ClawApp(project, agent_factory=lambda app: agent)


def stop_blinking(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def still(pilot) -> None:
    """Let workers and messages finish, and stop cursors blinking."""
    await settle(pilot)
    stop_blinking(pilot.app)
    await pilot.pause()


async def play_turn(pilot) -> None:
    await still(pilot)
    await type_text(pilot, PROMPT, "enter")
    await still(pilot)
    await still(pilot)
