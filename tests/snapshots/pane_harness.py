"""Small apps that show one pane fed with recorded engine events.

Used by the pilot tests (tests/ui) and the snapshot modules. Every event has `ts=0` and
every path is relative, so the output holds no clock and no machine path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widget import Widget

from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.diffs import FileChange
from claw_tui.core.tasks import TaskGraph
from claw_tui.ui.screens.approval import ApprovalScreen
from claw_tui.ui.theming import CLAW_VARIABLES, DEFAULT_THEME, register_themes

MODEL = "anthropic/claude-sonnet-4-6"

APP_PY_BEFORE = '''"""A tiny app."""

import sys


def greet(name):
    return "Hello " + name


def main():
    print(greet(sys.argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''

APP_PY_AFTER = '''"""A tiny app."""

import sys


def greet(name: str) -> str:
    return f"Hello, {name}!"


def main():
    print(greet(sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

README_AFTER = "# Tiny app\n\nRun `python src/app.py NAME`.\n"


class PaneApp(App[None]):
    """One pane filling the screen, in claw's default theme, fed `events` once mounted."""

    CSS = "Screen { padding: 0 1; }"

    def __init__(self, make_pane: Callable[[], Widget], events: Iterable[Any] = (), *, setup: Callable[[Widget], None] | None = None) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.pane = make_pane()
        self.events = list(events)
        self.setup = setup

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self) -> ComposeResult:
        yield self.pane

    async def on_mount(self) -> None:
        if self.setup is not None:
            self.setup(self.pane)
        for event in self.events:
            result = self.pane.handle_event(event)  # type: ignore[attr-defined]
            if result is not None:
                await result


def tool_events() -> list[ev.EngineEvent]:
    """A turn's calls: a read, an asked-and-allowed edit, a denied push, a failing test run,
    a running subagent with two calls of its own, and a queued grep."""
    return [
        ev.ToolCallStarted(call_id="c1", name="Read", ts=0),
        ev.ToolCallQueued(call_id="c1", name="Read", input={"file_path": "src/app.py"}, summary="Read src/app.py", ts=0),
        ev.PermissionDecided(call_id="c1", behavior="allow", decided_by="mode default: reads are allowed", ts=0),
        ev.ToolCallRunning(call_id="c1", ts=0),
        ev.ToolCallFinished(call_id="c1", name="Read", status="done", output="1\t\"\"\"A tiny app.\"\"\"\n", duration_ms=12, ts=0),
        ev.ToolCallStarted(call_id="c2", name="Edit", ts=0),
        ev.ToolCallQueued(
            call_id="c2", name="Edit", input={"file_path": "src/app.py", "old_string": "def greet(name):", "new_string": "def greet(name: str) -> str:"},
            summary="Edit src/app.py", ts=0,
        ),
        ev.PermissionRequested(call_id="c2", name="Edit", reason="mode default: writes ask", ts=0),
        ev.PermissionDecided(call_id="c2", behavior="allow", decided_by="user (mode default: writes ask)", ts=0),
        ev.ToolCallRunning(call_id="c2", ts=0),
        ev.ToolCallFinished(call_id="c2", name="Edit", status="done", output="Edited src/app.py (1 hunk).", duration_ms=48, ts=0),
        ev.ToolCallStarted(call_id="c3", name="Bash", ts=0),
        ev.ToolCallQueued(call_id="c3", name="Bash", input={"command": "git push"}, summary="Bash: git push", ts=0),
        ev.PermissionDecided(call_id="c3", behavior="deny", decided_by="deny rule Bash(git push:*) from project settings", ts=0),
        ev.ToolCallFinished(call_id="c3", name="Bash", status="denied", output="Permission to use Bash was denied.", is_error=True, ts=0),
        ev.ToolCallStarted(call_id="c4", name="Bash", ts=0),
        ev.ToolCallQueued(call_id="c4", name="Bash", input={"command": "pytest -q"}, summary="Bash: pytest -q", ts=0),
        ev.PermissionDecided(call_id="c4", behavior="allow", decided_by="allow rule Bash(pytest:*) from project settings", ts=0),
        ev.ToolCallRunning(call_id="c4", ts=0),
        ev.ToolCallOutput(call_id="c4", text="F.\n", ts=0),
        ev.ToolCallFinished(
            call_id="c4", name="Bash", status="failed", output="F.\n1 failed, 1 passed\nexit code 1", is_error=True, duration_ms=2350, ts=0
        ),
        ev.ToolCallStarted(call_id="agent_1", name="Agent", ts=0),
        ev.ToolCallQueued(
            call_id="agent_1", name="Agent", input={"description": "Find callers", "prompt": "Find every caller of greet"},
            summary="Agent: Find callers", ts=0,
        ),
        ev.PermissionDecided(call_id="agent_1", behavior="allow", decided_by="mode default: agents are allowed", ts=0),
        ev.ToolCallRunning(call_id="agent_1", ts=0),
        ev.ToolCallStarted(call_id="s1", name="Grep", agent_id="agent_1", ts=0),
        ev.ToolCallQueued(call_id="s1", name="Grep", input={"pattern": "greet\\("}, summary="Grep greet\\(", agent_id="agent_1", ts=0),
        ev.ToolCallRunning(call_id="s1", agent_id="agent_1", ts=0),
        ev.ToolCallFinished(call_id="s1", name="Grep", status="done", output="src/app.py:11", duration_ms=30, agent_id="agent_1", ts=0),
        ev.ToolCallStarted(call_id="s2", name="Read", agent_id="agent_1", ts=0),
        ev.ToolCallQueued(call_id="s2", name="Read", input={"file_path": "src/app.py"}, summary="Read src/app.py", agent_id="agent_1", ts=0),
        ev.ToolCallRunning(call_id="s2", agent_id="agent_1", ts=0),
        ev.ToolCallStarted(call_id="c5", name="Grep", ts=0),
        ev.ToolCallQueued(call_id="c5", name="Grep", input={"pattern": "TODO"}, summary="Grep TODO", ts=0),
    ]


def diff_events() -> list[ev.EngineEvent]:
    """One Edit call that changed two files: src/app.py (two hunks) and a new README.md."""
    return [
        ev.FileChanged(call_id="c2", path="src/app.py", before=APP_PY_BEFORE, after=APP_PY_AFTER, ts=0),
        ev.FileChanged(call_id="c2", path="README.md", before=None, after=README_AFTER, ts=0),
    ]


def task_graph() -> TaskGraph:
    """Seven tasks: a plan with fan-out and a join (#6 waits for #4 and #5), one subagent task."""
    graph = TaskGraph()
    graph.create("Read the failing test", active_form="Reading the failing test")
    graph.create("Fix greet's return type", active_form="Fixing greet")
    graph.create("Update the README", active_form="Updating the README")
    graph.create("Run the unit tests", active_form="Running the unit tests")
    graph.create("Find every caller of greet", owner="agent_1", active_form="Searching callers")
    graph.create("Open the pull request")
    graph.create("Write the changelog entry")
    graph.update("2", add_blocked_by=["1"])
    graph.update("3", add_blocked_by=["1"])
    graph.update("4", add_blocked_by=["2"])
    graph.update("6", add_blocked_by=["4", "5"])
    graph.update("1", status="completed")
    graph.update("5", status="completed")
    graph.update("2", status="in_progress")
    for task in graph.list(include_deleted=True):
        task.created_at = task.updated_at = 0
    return graph


def usage_events() -> list[ev.EngineEvent]:
    """Three turns on two models; the second model's price is unknown."""
    return [
        ev.TurnStarted(turn_id="t1", model=MODEL, ts=0),
        ev.Usage(model=MODEL, input_tokens=12_000, output_tokens=800, cache_write_tokens=9_000, cost_usd=0.0812,
                 context_tokens=21_000, context_window=1_000_000, ts=0),
        ev.Usage(model=MODEL, input_tokens=1_500, output_tokens=400, cache_read_tokens=21_000, cost_usd=0.0168,
                 context_tokens=22_500, context_window=1_000_000, ts=0),
        ev.TurnFinished(turn_id="t1", stop_reason="end_turn", ts=0),
        ev.TurnStarted(turn_id="t2", model=MODEL, ts=0),
        ev.Usage(model=MODEL, input_tokens=3_000, output_tokens=1_200, cache_read_tokens=22_500, cost_usd=0.0337,
                 context_tokens=25_500, context_window=1_000_000, ts=0),
        ev.TurnFinished(turn_id="t2", stop_reason="end_turn", ts=0),
        ev.TurnStarted(turn_id="t3", model="openai/gpt-5-mini", ts=0),
        ev.Usage(model="openai/gpt-5-mini", input_tokens=30_000, output_tokens=900, cost_usd=None,
                 context_tokens=30_000, context_window=400_000, ts=0),
        ev.TurnFinished(turn_id="t3", stop_reason="end_turn", ts=0),
    ]


def write_request() -> ApprovalRequest:
    """An Edit of src/app.py with two hunks, asked because the mode asks for writes."""
    return ApprovalRequest(
        call_id="c2",
        tool_name="Edit",
        input={"file_path": "src/app.py"},
        summary="Edit src/app.py",
        reason="mode default: writes ask",
        changes=[FileChange(Path("src/app.py"), APP_PY_BEFORE, APP_PY_AFTER)],
        cwd=".",
        suggested_rule="Edit(/src/**)",
        suggested_rule_words="edits anywhere in ~/project/src",
    )


def bash_request() -> ApprovalRequest:
    return ApprovalRequest(
        call_id="c3",
        tool_name="Bash",
        input={"command": "rm -rf build && make -j4 test"},
        summary="Bash: rm -rf build && make -j4 test",
        reason="ask rule Bash(rm:*) from project settings",
        command="rm -rf build && make -j4 test",
        cwd="~/project",
        sandboxed=False,
        suggested_rule="Bash(rm -rf build:*)",
        suggested_rule_words="commands that start with 'rm -rf build'",
    )


class ApprovalApp(App[None]):
    """Shows one ApprovalScreen over an empty screen; keeps every answer it gets."""

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.request = request
        self.responses: list[ApprovalResponse | None] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def on_mount(self) -> None:
        self.push_screen(ApprovalScreen(self.request), callback=self.responses.append)
