"""The session browser (/sessions) and the rewind picker (/rewind), over a real store with fixed dates."""

from __future__ import annotations

import pytest
from snapshots.sessions_harness import browser_app, rewind_app, search, settle


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_browser(snap_compare, size):
    """You should see four sessions of ~/project, newest first, with updated ("2 h ago"), model, cost
    ("?" for the local model, "<$0.01" for the cheapest) and message count; "this project" lit in the
    toggle at the top right; the first session's messages in the preview (below when narrow, beside
    when wide), tool calls as ⚙ lines, the last message highlighted; the keys in the footer."""
    assert snap_compare(browser_app().app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_browser_search(snap_compare, size):
    """You should see "parser" in the filter box, no title match, "2 messages match parser:" and the
    two hits, each with its session title, message number, role and age, and "parser" highlighted in
    its snippet; the preview shows the first hit's message highlighted."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await search(pilot, "parser")

    assert snap_compare(browser_app().app, terminal_size=size, run_before=run_before)


def test_browser_all_projects(snap_compare):
    """You should see five sessions, ~/other's README session first, with a project column, and
    "all projects" lit in the toggle and written in the title line."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)

    assert snap_compare(browser_app().app, terminal_size=(160, 48), run_before=run_before)


def test_browser_fork_picking(snap_compare):
    """You should see the preview framed in the warning colour with its focus, message #6 highlighted,
    and "Fork: pick the last message to keep, then Enter; Esc cancels." on the status line."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f", "up", "up")
        await settle(pilot)

    assert snap_compare(browser_app().app, terminal_size=(160, 48), run_before=run_before)


def test_browser_rename(snap_compare):
    """You should see a "Title:" line under the list with the first session's title in an input."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(browser_app().app, terminal_size=(80, 24), run_before=run_before)


def test_browser_confirm_delete(snap_compare):
    """You should see a dialog framed in red: Delete “Fix the off-by-one in count_lines, please.”
    (8 messages)? … with y delete / n keep."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(browser_app().app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_rewind_picker(snap_compare, size):
    """You should see a "Rewind" dialog explaining what rewinding does, then the session's two
    prompts, each with its age and how many messages it drops; the latest prompt is highlighted."""
    assert snap_compare(rewind_app(), terminal_size=size, run_before=settle)
