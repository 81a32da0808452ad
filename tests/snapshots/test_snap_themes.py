"""The main screen after a recorded turn in each shipped theme."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, play_turn


@pytest.mark.parametrize("theme", ["claw-dark", "claw-light", "high-contrast", "gruvbox-dark"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_theme(monkeypatch, snap_compare, theme, size):
    """You should see the same screen as test_snap_main in the theme's colours: readable text,
    a highlighted code block, and pane borders in the theme's pane-border colour."""

    async def run_before(pilot) -> None:
        pilot.app.theme = theme
        await play_turn(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=run_before)
