"""The help screen (F1)."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, still


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_help(monkeypatch, snap_compare, size):
    """You should see the table of slash commands with their help (F1 after /help), then the keys."""

    async def run_before(pilot) -> None:
        await still(pilot)
        await pilot.press("f1")
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=run_before)
