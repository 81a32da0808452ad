"""Snapshots of the approval screen: an edit with two hunks, and a Bash command."""

from __future__ import annotations

import pytest
from snapshots.pane_harness import ApprovalApp, bash_request, write_request

SIZES = [(80, 24), (160, 48)]


async def reject_second_hunk(pilot) -> None:
    await pilot.pause()
    await pilot.press("j", "space")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_approval_write(snap_compare, size):
    """You should see "Edit needs your approval", "Why: mode default: writes ask", the diff of
    src/app.py with hunk 1 marked "✓ accept" and hunk 2 selected (▶, thick left bar), dimmed
    and marked "✗ reject"; the hunk keys line; the always-allow rule Edit(src/**); the answer
    keys in the footer (approve, always allow, deny, deny + note), nothing cut at 80 columns."""
    assert snap_compare(ApprovalApp(write_request()), terminal_size=size, run_before=reject_second_hunk)


@pytest.mark.parametrize("size", SIZES)
def test_approval_bash(snap_compare, size):
    """You should see "Bash needs your approval", the reason (an ask rule from project
    settings), the highlighted command, "Directory: ~/project", "Sandbox: off…" in the warning
    colour and the rule that A would add."""
    assert snap_compare(ApprovalApp(bash_request()), terminal_size=size)
