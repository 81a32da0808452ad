"""The first-run welcome screen (no API key, no local server)."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, stop_blinking


async def _shown(pilot) -> None:
    # The first-run worker waits on this screen, so wait for the screen, not for the workers.
    await pilot.pause()
    stop_blinking(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_welcome(monkeypatch, snap_compare, size):
    """You should see how to set ANTHROPIC_API_KEY or OPENAI_API_KEY, or point
    CLAW_LOCAL_BASE_URL at a local server, and the "Continue anyway" / "Quit" buttons."""
    assert snap_compare(make_app(monkeypatch, with_key=False), terminal_size=size, run_before=_shown)
