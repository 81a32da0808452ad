"""Host apps for the /mcp and /agents screens, over real MCP servers and real agent files.

The MCP servers are declared the way a user declares them, in `~/config/mcp.json` (user scope)
and `~/project/.mcp.json` (project scope), and are real processes: the SDK demo server from
tests/mcp/servers/demo.py, started through small wrapper scripts in the project so the command
lines on screen stay the same on every machine. They settle deterministically (max_retries=0: a
failed server waits for the user's reconnect instead of retrying), so the snapshots are stable:

- demo       user scope, connected (7 tools, 2 resources, 1 prompt)
- warehouse  user scope, failed: the demo server refuses to start until `warehouse.ready` exists
- search     user scope, an HTTP server disabled in the file (never contacted)
- docs       project scope, needs trust (the demo server again once trusted)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from snapshots.sessions_harness import HostApp, settle
from textual.app import App

from claw_tui.engine.agent_defs import AgentDef, save_agent
from claw_tui.mcp import McpManager
from claw_tui.ui.screens.agents import AgentsScreen
from claw_tui.ui.screens.mcp import McpScreen
from claw_tui.ui.theming import CLAW_VARIABLES, DEFAULT_THEME, register_themes

DEMO = Path(__file__).resolve().parents[1] / "mcp" / "servers" / "demo.py"


def home() -> Path:
    return Path(os.environ["HOME"])


def write_server_files(project: Path) -> None:
    """The wrapper scripts and the two configuration files."""
    project.mkdir(parents=True, exist_ok=True)
    for script, name in (("demo-server", "demo"), ("docs-server", "docs")):
        path = project / script
        path.write_text(f'#!/bin/sh\nDEMO_NAME={name} exec "{sys.executable}" "{DEMO}"\n', encoding="utf-8")
        path.chmod(0o755)
    user = {
        "mcpServers": {
            "demo": {"command": "./demo-server"},
            "warehouse": {"command": "./demo-server", "env": {"REQUIRE_FILE": "warehouse.ready"}},
            "search": {"type": "http", "url": "http://127.0.0.1:9/mcp", "disabled": True},
        }
    }
    config_dir = Path(os.environ["CLAW_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "mcp.json").write_text(json.dumps(user, indent=2), encoding="utf-8")
    project_servers = {"mcpServers": {"docs": {"command": "./docs-server", "env": {"DOCS_TOKEN": "s3cret"}}}}
    (project / ".mcp.json").write_text(json.dumps(project_servers, indent=2), encoding="utf-8")


class McpHost(App[None]):
    """Starts the manager on the app's event loop (where its tasks must live), then shows /mcp.

    Not a HostApp: Textual runs every on_mount along the class hierarchy, and HostApp's pushes
    its screen before the manager exists.
    """

    def __init__(self, project: Path | None, **manager_options: Any) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.project = project
        self.manager: McpManager | None = None
        self.manager_options = {"max_retries": 0, "connect_timeout": 30.0, **manager_options}
        self.results: list[Any] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    async def on_mount(self) -> None:
        if self.project is not None:
            self.manager = McpManager.from_config(self.project, **self.manager_options)
            await self.manager.start()
            await self.manager.wait_settled()
        self.push_screen(McpScreen(self.manager), callback=self.results.append)

    async def on_unmount(self) -> None:
        if self.manager is not None:
            await self.manager.stop()


def mcp_app(**manager_options: Any) -> McpHost:
    project = home() / "project"
    write_server_files(project)
    return McpHost(project, **manager_options)


def empty_mcp_app() -> McpHost:
    """No manager at all: what /mcp shows when MCP was never started."""
    return McpHost(None)


async def mcp_ready(pilot: Any) -> None:
    """Until the screen is up with every server settled, then everything has run out."""
    for _ in range(600):
        if isinstance(pilot.app.screen, McpScreen):
            break
        await pilot.pause(0.05)
    assert isinstance(pilot.app.screen, McpScreen), "the /mcp screen never opened"
    await settle(pilot)


# --- agents ---------------------------------------------------------------------------------------

REVIEWER_PROMPT = """You review code changes for bugs, unclear names and missing tests.
Read the diff, then the files around it. Report each finding as path:line with a one-line fix."""


def write_agent_files(project: Path) -> None:
    """One custom agent in .claw/agents, one in .claude/agents, and one broken file."""
    save_agent(
        AgentDef(
            name="code-reviewer",
            description="Reviews a change for bugs, naming and missing tests; use after writing code.",
            system_prompt=REVIEWER_PROMPT,
            tools=("Read", "Grep", "Glob", "Bash"),
            model="sonnet",
        ),
        project / ".claw" / "agents",
    )
    save_agent(
        AgentDef(
            name="doc-writer",
            description="Writes and updates the README and docstrings.",
            system_prompt="You write clear documentation for the code you are shown.",
        ),
        project / ".claude" / "agents",
    )
    broken = project / ".claw" / "agents" / "half-done.md"
    broken.write_text("---\nname: half-done\n---\nA prompt without a description.\n", encoding="utf-8")


def agents_app(*, with_files: bool = True) -> tuple[HostApp, Path]:
    project = home() / "project"
    project.mkdir(parents=True, exist_ok=True)
    if with_files:
        write_agent_files(project)
    return HostApp(lambda: AgentsScreen(project)), project
