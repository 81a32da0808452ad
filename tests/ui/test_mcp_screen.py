"""The /mcp screen driven with Pilot against real MCP servers (see snapshots/mcp_agents_harness.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from snapshots.mcp_agents_harness import McpHost, empty_mcp_app, mcp_app, mcp_ready
from snapshots.sessions_harness import settle

from claw_tui.ui.screens.mcp import ConfirmTrust, McpScreen, ServerTable

SIZE = (140, 40)


def rows(app: McpHost) -> dict[str, list[str]]:
    """Each server's cells as plain text, by server name."""
    table = app.screen.query_one(ServerTable)
    return {
        str(row.key.value): [str(cell).strip() for cell in table.get_row(row.key)]
        for row in table.ordered_rows
    }


def details(app: McpHost) -> str:
    return str(app.screen.query_one("#mcp-details-text").render())


def status_line(app: McpHost) -> str:
    return str(app.screen.query_one("#mcp-status").render())


async def select(pilot, name: str) -> None:
    """Move the table's cursor to server `name`."""
    table = pilot.app.screen.query_one(ServerTable)
    table.move_cursor(row=table.get_row_index(name), animate=False)
    await settle(pilot)
    assert pilot.app.screen.selected == name


async def test_lists_every_server_with_its_status_counts_and_error():
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        shown = rows(app)
        assert list(shown) == ["demo", "warehouse", "search", "docs"]
        assert shown["demo"][:7] == ["demo", "stdio", "user", "● connected", "7", "2", "1"]
        assert shown["demo"][7] == "—"
        assert shown["warehouse"][3] == "✗ failed"
        assert "warehouse.ready is missing" in shown["warehouse"][7]
        assert shown["search"][:4] == ["search", "http", "user", "○ disabled"]
        assert shown["docs"][:4] == ["docs", "stdio", "project", "! needs-trust"]
        summary = str(app.screen.query_one("#mcp-summary").render())
        assert summary == "1 connected  1 failed  1 disabled  1 needs-trust"

        # The details pane: the first server's command line, tools with descriptions, resources, prompts.
        text = details(app)
        assert "runs ./demo-server" in text
        assert "declared in ~/config/mcp.json" in text
        for line in ("echo", "Repeat the text back.", "crash_once", "hang", "Never answers."):
            assert line in text
        assert "@demo:demo://readme" in text and "/demo:review" in text

        # The failed server's whole error, and what to do about it.
        await select(pilot, "warehouse")
        text = details(app)
        assert "Last error" in text
        assert "Connection closed; stderr: demo server: warehouse.ready is missing" in text
        assert "r tries again now" in text
        assert "Tools (" not in text  # no tool list for a server that is not connected


async def test_reconnect_brings_a_failed_server_up_once_its_cause_is_fixed():
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        await select(pilot, "warehouse")
        await pilot.press("r")
        await settle(pilot)
        assert status_line(app).startswith("warehouse failed: Connection closed; stderr: demo server")
        assert rows(app)["warehouse"][3] == "✗ failed"

        (app.project / "warehouse.ready").write_text("ok")
        await pilot.press("r")
        await settle(pilot)
        assert status_line(app) == "warehouse connected: 7 tools, 2 resources, 1 prompt."
        assert rows(app)["warehouse"][3:7] == ["● connected", "7", "2", "1"]
        assert app.manager.status("warehouse").status == "connected"
        assert "Repeat the text back." in details(app)


async def test_disable_then_enable_a_server():
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        assert {t.server for t in app.manager.tools()} == {"demo"}
        footer_keys = {b.binding.description for b in app.screen.active_bindings.values() if b.enabled}
        assert "disable" in footer_keys and "enable" not in footer_keys

        await pilot.press("e")
        await settle(pilot)
        assert app.manager.status("demo").status == "disabled"
        assert rows(app)["demo"][3] == "○ disabled"
        assert app.manager.tools() == []  # its tools left the model's list
        assert status_line(app) == "demo is disabled for this session; e enables it again."
        assert "Disabled for this session: e enables it." in details(app)
        footer_keys = {b.binding.description for b in app.screen.active_bindings.values() if b.enabled}
        assert "enable" in footer_keys and "disable" not in footer_keys

        await pilot.press("e")
        await settle(pilot)
        assert status_line(app) == "demo connected: 7 tools, 2 resources, 1 prompt."
        assert rows(app)["demo"][3] == "● connected"
        assert {t.server for t in app.manager.tools()} == {"demo"}

        # A server disabled in its file is enabled for the session, and fails for real (no such host).
        await select(pilot, "search")
        await pilot.press("e")
        await settle(pilot)
        assert app.manager.status("search").status == "failed"
        assert status_line(app).startswith("search failed: ")


async def test_trusting_a_project_server_asks_first_showing_what_it_runs():
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        await select(pilot, "docs")
        assert "t shows what it runs" in details(app)
        await pilot.press("r")  # reconnect does not apply to an untrusted server: nothing starts
        await settle(pilot)
        assert app.manager.status("docs").status == "needs-trust"

        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmTrust)
        dialog = str(app.screen.query_one("#trust-text").render())
        assert "./docs-server" in dialog
        assert "Declared in ~/project/.mcp.json" in dialog
        assert "environment: DOCS_TOKEN" in dialog and "s3cret" not in dialog
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, McpScreen)
        assert status_line(app) == "docs is still not trusted; it does not run."
        assert app.manager.status("docs").status == "needs-trust"

        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, McpScreen)
        assert status_line(app) == "docs connected: 7 tools, 2 resources, 1 prompt."
        assert rows(app)["docs"][3] == "● connected"
        assert app.screen.query_one("#mcp-details").border_subtitle == "docs 1.2.3"
        stored = json.loads((Path(os.environ["CLAW_DATA_DIR"]) / "trusted_mcp.json").read_text())
        assert "docs" in stored[str(app.project.resolve())]


async def test_escape_closes_and_no_servers_explains_how_to_add_one():
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None]
        assert not isinstance(app.screen, McpScreen)

    app = empty_mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        screen = app.screen
        assert screen.has_class("-empty")
        text = str(screen.query_one("#mcp-empty").render())
        assert "No MCP servers are configured." in text
        assert '"mcpServers"' in text and ".mcp.json" in text
        assert "claw -p --mcp-config servers.json" in text
        assert not screen.query_one(ServerTable).display
        await pilot.press("r", "e", "t", "a")  # nothing to act on: no error, no crash
        await settle(pilot)
        assert str(screen.query_one("#mcp-status").render()) == ""


async def test_a_server_that_changes_behind_the_screen_shows_up_without_a_key():
    """The manager reconnects on its own; the screen picks up the new status from its poll."""
    app = mcp_app()
    async with app.run_test(size=SIZE) as pilot:
        await mcp_ready(pilot)
        await app.manager.enable("demo", False)  # as another part of claw would
        for _ in range(100):
            if rows(app)["demo"][3] == "○ disabled":
                break
            await pilot.pause(0.1)
        assert rows(app)["demo"][3] == "○ disabled"
