"""A swarm of subagents held mid-run: the scripted model and a host app for the task pane snapshot.

The main agent calls Agent several times in one response; each child calls Bash with a command that
waits until a `gate` file exists in the project, so a test sees every child running at once for as
long as it likes, without sleeping, and releases them all by creating the file (or cancels them).
The Agent calls have fixed ids, so the children's ids (their owners in the task pane) never change.
"""

from __future__ import annotations

from pathlib import Path

from fake_model import Reply, Text, ToolCall
from textual.app import App, ComposeResult

from claw_tui.config import load_config
from claw_tui.engine.agent import Agent
from claw_tui.ui.theming import CLAW_VARIABLES, DEFAULT_THEME, register_themes
from claw_tui.ui.widgets.task_graph import TaskGraphPane
from claw_tui.ui.widgets.tool_log import ToolLog

# (Agent call id = child id, description, routing key in the child's prompt)
CHILDREN = (
    ("toolu_auth", "Audit the auth module", "child-auth"),
    ("toolu_db", "Audit the database layer", "child-db"),
    ("toolu_ui", "Audit the web handlers", "child-ui"),
)
GATE = "gate"


def gate_command(key: str) -> str:
    return f"until [ -e {GATE} ]; do sleep 0.02; done; echo {key} passed"


def swarm_replies(
    children=CHILDREN, *, background: bool = False, final: str = "All three agents reported."
) -> list[Reply]:
    """The main agent's response with one Agent call per child, each child's two replies, the main's answer."""
    calls = [
        ToolCall(
            "Agent",
            {
                "description": description,
                "prompt": f"{key}: read the code and report problems",
                "subagent_type": "general-purpose",
                **({"run_in_background": True} if background else {}),
            },
            id=call_id,
        )
        for call_id, description, key in children
    ]
    replies = [Reply(parts=calls)]
    for _, description, key in children:
        replies.append(Reply(parts=[ToolCall("Bash", {"command": gate_command(key)})], when=key))
        replies.append(Reply(parts=[Text(f"{description}: no problems found.")], when=key))
    replies.append(Reply(parts=[Text(final)]))
    return replies


def flags(max_concurrent: int = 4) -> dict:
    return {
        "retry_base_delay": 0.01,
        "stream_idle_timeout": 5.0,
        "sandbox": {"enabled": False},
        "agents": {"max_concurrent": max_concurrent},
    }


class SwarmApp(App[None]):
    """The task pane above the tool log, fed by a real Agent's turn (no clock, no paths, no costs on screen)."""

    CSS = """
    Screen { padding: 0 1; }
    TaskGraphPane { height: 1fr; border: round $pane-border; }
    ToolLog { height: 1fr; border: round $pane-border; }
    """

    def __init__(self, project: Path, *, max_concurrent: int) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.project = project
        self.agent = Agent.create(
            project, config=load_config(project, flags=flags(max_concurrent)), permission_mode="bypassPermissions"
        )
        self.task_pane = TaskGraphPane(id="task-graph")
        self.tool_log = ToolLog(id="tool-log")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self) -> ComposeResult:
        yield self.task_pane
        yield self.tool_log

    def on_mount(self) -> None:
        tasks = self.agent.task_graph
        tasks.subscribe(lambda _task: self.task_pane.set_tasks(tasks.list()))
        self.run_worker(self._turn(), exit_on_error=False)

    async def _turn(self) -> None:
        async for event in self.agent.run_turn("Audit the three parts of the code base in parallel."):
            self.tool_log.handle_event(event)

    async def on_unmount(self) -> None:
        await self.agent.aclose()


def running_gates(log: ToolLog) -> int:
    """How many children are waiting at the gate (their Bash call running)."""
    return sum(r.name == "Bash" and r.agent_id is not None and r.status == "running" for r in log.calls.values())


def pane_lines(pane: TaskGraphPane) -> list[str]:
    """The task pane's rows as plain text, in tree order."""
    from rich.style import Style

    lines: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            lines.append(pane.render_label(child, Style(), Style()).plain)
            walk(child)

    walk(pane.root)
    return lines
