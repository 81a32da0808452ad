"""Snapshots of the tool-call log fed a recorded turn (no live model, no clock)."""

from __future__ import annotations

import pytest
from keyboard import type_text
from snapshots.pane_harness import PaneApp, tool_events

from claw_tui.ui.widgets.tool_log import ToolLog

SIZES = [(80, 24), (160, 48)]


async def select_failed_call(pilot) -> None:
    log = pilot.app.pane
    log.option_list.focus()
    await pilot.press("down", "down", "down", "down")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_tool_log_lifecycle(snap_compare, size):
    """You should see eight rows: ✓ Read, ✓ Edit (ask → allowed by user), ⊘ Bash git push
    (denied by a deny rule), ✗ Bash pytest -q (failed, 2.4s) highlighted, ◐ Agent running with
    two indented "↳" subagent rows (✓ Grep, ◐ Read), and ○ Grep TODO queued. Below the list,
    the failed call's details: its decision, its JSON input and "1 failed, 1 passed"."""
    assert snap_compare(PaneApp(ToolLog, tool_events()), terminal_size=size, run_before=select_failed_call)


def test_tool_log_filtered(snap_compare):
    """You should see the filter box holding "bash" and only the two Bash rows below it."""

    async def filter_bash(pilot) -> None:
        pilot.app.pane.query_one("#tool-filter").focus()
        await type_text(pilot, "bash")
        pilot.app.pane.query_one("#tool-filter").cursor_blink = False
        await pilot.pause()

    assert snap_compare(PaneApp(ToolLog, tool_events()), terminal_size=(80, 24), run_before=filter_bash)
