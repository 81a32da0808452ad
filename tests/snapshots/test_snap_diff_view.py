"""Snapshots of the diff pane after an edit of two files (no live model, no clock)."""

from __future__ import annotations

import pytest
from snapshots.pane_harness import PaneApp, diff_events

from claw_tui.ui.widgets.diff_view import DiffView


async def show_first_file(pilot) -> None:
    files = pilot.app.pane.query_one("#diff-files")
    files.focus()
    await pilot.press("up")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_diff_two_files(snap_compare, size):
    """You should see "Last change · 2 files · +6 −3", a file list (M src/app.py, A README.md)
    with src/app.py selected, then its two hunks with line numbers and three lines of context:
    greet's signature and return line, then SystemExit → sys.exit. Removed lines on a red
    background, added on green; unified at 80 columns, side by side at 160."""
    assert snap_compare(PaneApp(DiffView, diff_events()), terminal_size=size, run_before=show_first_file)


def test_diff_new_file(snap_compare):
    """You should see README.md marked "(new file)" with three added lines numbered 1-3."""
    assert snap_compare(PaneApp(DiffView, diff_events()), terminal_size=(80, 24))
