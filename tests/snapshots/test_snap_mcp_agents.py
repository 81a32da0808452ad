"""The /mcp screen over real MCP servers that settle deterministically, and the /agents screen over real files."""

from __future__ import annotations

import pytest
from keyboard import type_text
from snapshots.mcp_agents_harness import agents_app, empty_mcp_app, mcp_app, mcp_ready
from snapshots.sessions_harness import settle

from claw_tui.ui.screens.mcp import ServerTable


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_mcp(snap_compare, size):
    """You should see four servers: demo "● connected" in green with 7 tools, 2 resources, 1 prompt;
    warehouse "✗ failed" in red with its error clipped in the last column; search "○ disabled" dimmed;
    docs "! needs-trust" in yellow, scope project. The summary at the top right counts each status in
    its colour. The details pane (titled demo, "demo 1.2.3" on its frame) shows the command
    ./demo-server, the file it is declared in, and the tool list: each name in accent colour with its
    whole description dimmed and indented under it (resources and prompts below when tall enough). The footer has r reconnect, e disable, t trust and a sign in
    dimmed (demo needs neither), esc close."""
    assert snap_compare(mcp_app(), terminal_size=size, run_before=mcp_ready)


def test_mcp_failed_server_details(snap_compare):
    """You should see warehouse highlighted, and in the details its whole error in red ("Connection
    closed; stderr: demo server: warehouse.ready is missing") and the hint that r tries again."""

    async def run_before(pilot) -> None:
        await mcp_ready(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(mcp_app(), terminal_size=(80, 24), run_before=run_before)


def test_mcp_confirm_trust(snap_compare):
    """You should see a dialog framed in yellow, "Trust “docs”?", saying it is declared in
    ~/project/.mcp.json and that trusting it runs ./docs-server (in bold accent), the names of its
    environment variables (DOCS_TOKEN, without the value), and y trust and start / n cancel."""

    async def run_before(pilot) -> None:
        await mcp_ready(pilot)
        table = pilot.app.screen.query_one(ServerTable)
        table.move_cursor(row=table.get_row_index("docs"), animate=False)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(mcp_app(), terminal_size=(80, 24), run_before=run_before)


def test_mcp_no_servers(snap_compare):
    """You should see "No MCP servers are configured.", an .mcp.json example with a stdio and an
    HTTP server, where the user file lives (~/config/mcp.json) and the `claw -p --mcp-config` line."""
    assert snap_compare(empty_mcp_app(), terminal_size=(80, 24), run_before=mcp_ready)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_agents(snap_compare, size):
    """You should see the built-ins general-purpose and Explore (source dimmed, tools "all" and
    "Read, Glob, Grep, …"), then doc-writer (.claude/agents, inherit) and code-reviewer (.claw/agents,
    model sonnet, four tools); under the list, in red, "1 agent file could not be used:" with
    ~/project/.claw/agents/half-done.md and why; the preview (below when narrow, beside when wide) shows
    general-purpose's description, tools, model and system prompt, "built-in · read-only" on its frame;
    e edit dimmed in the footer."""
    app, _ = agents_app()
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_agents_new_form(snap_compare):
    """You should see the "New agent" dialog with Name, Description, Tools and Model fields (the name
    typed in), a System prompt area, and ctrl+s save / esc cancel / tab next field."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "test-runner")
        await settle(pilot)

    app, _ = agents_app()
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_agents_editor(snap_compare):
    """You should see "Edit code-reviewer" with ~/project/.claw/agents/code-reviewer.md on the frame and
    the file's frontmatter and prompt in a text area."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)

    app, _ = agents_app()
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
