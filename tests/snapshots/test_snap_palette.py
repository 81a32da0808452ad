"""The command palette over the main screen: the slash-command registry plus Textual's own commands."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, still
from keyboard import type_text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_palette_lists_the_commands(monkeypatch, snap_compare, size):
    """You should see the palette listing the slash commands ("/help  Help", "/clear  Clear
    conversation", …) with their help, for the search "/" (an empty search would mix in
    Textual's own commands in the order the providers happen to answer)."""

    async def run_before(pilot) -> None:
        await still(pilot)
        await pilot.press("ctrl+p", "/")
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=run_before)


def test_palette_search(monkeypatch, snap_compare):
    """You should see "/model  Switch model" first for the search "/mod"."""

    async def run_before(pilot) -> None:
        await still(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "/mod")
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=(80, 24), run_before=run_before)
