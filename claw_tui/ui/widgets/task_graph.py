"""The task pane: the task DAG as a tree.

Roots are tasks nothing blocks; under each task sit the tasks it blocks. A task with several
blockers appears under each of them: in full the first time, then as a dimmed "↳ see #N".
The root line counts progress ("3/7 done"). A subagent's task (the SubagentManager makes one
per child) shows the child's own status: queued, running, completed, failed (with why) or
cancelled. Colours come from component classes, so a theme switch recolours the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from claw_tui.core import events as ev
from claw_tui.core.tasks import Task

if TYPE_CHECKING:
    from claw_tui.engine.scheduler import ScheduledJob

TASK_TOOLS = frozenset({"TaskCreate", "TaskUpdate", "Agent"})
GLYPHS = {"pending": "○", "in_progress": "◐", "completed": "●", "deleted": "✗"}
# A subagent's status → (glyph, component style); its task is "pending" again when it failed or was cancelled.
AGENT_LOOK = {
    "queued": ("○", "muted"),
    "running": ("◐", "active"),
    "completed": ("●", "done"),
    "failed": ("✗", "failed"),
    "cancelled": ("■", "muted"),
}
OWNER_CHARS = 12  # a longer owner (a subagent's call id) is shown by its end


@dataclass(frozen=True)
class TaskNode:
    task: Task
    repeat: bool = False  # a later appearance of a task shown in full elsewhere
    open_blockers: tuple[str, ...] = ()
    show_owner: bool = False


@dataclass(frozen=True)
class JobNode:
    """A scheduled prompt, listed under the tasks."""

    job: ScheduledJob


def _order(task_id: str) -> tuple[int, str]:
    return (int(task_id), "") if task_id.isdigit() else (1 << 62, task_id)


class TaskGraphPane(Tree[TaskNode | JobNode]):
    """The model's tasks and their dependencies, updated as TaskCreate / TaskUpdate run."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        "task-graph--active",
        "task-graph--done",
        "task-graph--muted",
        "task-graph--blocked",
        "task-graph--owner",
        "task-graph--failed",
    }

    DEFAULT_CSS = """
    TaskGraphPane {
        height: 1fr;
        padding: 0;
        background: transparent;
    }
    TaskGraphPane > .task-graph--active {
        color: $accent;
        text-style: bold;
    }
    TaskGraphPane > .task-graph--done {
        color: $success;
    }
    TaskGraphPane > .task-graph--muted {
        color: $text-muted;
    }
    TaskGraphPane > .task-graph--blocked {
        color: $warning;
    }
    TaskGraphPane > .task-graph--owner {
        color: $secondary;
    }
    TaskGraphPane > .task-graph--failed {
        color: $error;
    }
    """

    EMPTY = "No tasks yet"

    def __init__(self, *, tasks_source: Callable[[], list[Task]] | None = None, **kwargs: Any) -> None:
        super().__init__(self.EMPTY, **kwargs)
        self.tasks_source = tasks_source
        self.tasks: dict[str, Task] = {}
        self.jobs: list[ScheduledJob] = []
        self.jobs_seen_at = datetime.now().astimezone()  # the scheduler's time when the jobs were set
        self.guide_depth = 3

    # --- public API -----------------------------------------------------------------------

    def set_tasks(self, tasks: Iterable[Task]) -> None:
        self.tasks = {t.id: t for t in tasks if t.status != "deleted"}
        self._rebuild()

    def set_schedule(self, jobs: Iterable[ScheduledJob], now: datetime) -> None:
        self.jobs, self.jobs_seen_at = list(jobs), now
        self._rebuild()

    def handle_event(self, event: Any) -> None:
        if isinstance(event, ev.ToolCallFinished) and event.name in TASK_TOOLS and self.tasks_source is not None:
            self.set_tasks(self.tasks_source())

    @property
    def progress(self) -> str:
        done = sum(t.status == "completed" for t in self.tasks.values())
        progress = f"{done}/{len(self.tasks)} done" if self.tasks else self.EMPTY
        return f"{progress} · {len(self.jobs)} scheduled" if self.jobs else progress

    # --- building -------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self.clear()
        self.root.set_label(self.progress)
        self.border_title = f"Tasks · {self.progress}"
        show_owner = any(t.owner for t in self.tasks.values())
        ordered = sorted(self.tasks.values(), key=lambda t: _order(t.id))
        placed: set[str] = set()

        def add(parent: TreeNode[TaskNode | JobNode], task: Task) -> None:
            blockers = tuple(
                sorted((b for b in task.blocked_by if b in self.tasks and self.tasks[b].status != "completed"), key=_order)
            )
            data = TaskNode(task, repeat=task.id in placed, open_blockers=blockers, show_owner=show_owner)
            children = sorted((c for c in task.blocks if c in self.tasks), key=_order)
            if data.repeat or not children:
                parent.add_leaf(task.subject, data=data)
                placed.add(task.id)
                return
            placed.add(task.id)
            node = parent.add(task.subject, data=data, expand=True)
            for child in children:
                add(node, self.tasks[child])

        for task in ordered:
            if not any(b in self.tasks for b in task.blocked_by):
                add(self.root, task)
        for task in ordered:  # only reachable if the graph had a cycle; show it rather than hide it
            if task.id not in placed:
                add(self.root, task)
        for job in self.jobs:
            self.root.add_leaf(job.prompt, data=JobNode(job))
        self.root.expand()

    # --- drawing --------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        if not self.is_mounted:  # component styles exist once mounted; widths do not depend on them
            return Style()
        return self.get_component_rich_style(f"task-graph--{name}", partial=True)

    def render_label(self, node: TreeNode[TaskNode | JobNode], base_style: Style, style: Style) -> Text:
        data = node.data
        if data is None:
            label = Text(str(node.label), Style(bold=True))
            label.stylize(style)
            return label
        if isinstance(data, JobNode):
            label = self._job_label(data.job)
            label.stylize(style)
            return label
        task = data.task
        muted = self._style("muted")
        if data.repeat:
            label = Text.assemble(("↳ see ", muted), (f"#{task.id} {task.subject}", muted + Style(dim=True)))
            label.stylize(style)
            return label
        if "agent_id" in task.metadata:
            parts = self._agent_parts(task)
        else:
            status_style = {
                "in_progress": self._style("active"),
                "completed": self._style("done"),
            }.get(task.status, Style())
            parts = [
                (GLYPHS.get(task.status, "·") + " ", status_style),
                (f"#{task.id} ", muted),
                (task.subject, status_style if task.status == "in_progress" else Style()),
            ]
            if task.status == "in_progress" and task.active_form:
                parts.append((f" — {task.active_form}", muted + Style(italic=True)))
        if data.show_owner:
            owner = task.owner or "main"
            owner = owner if len(owner) <= OWNER_CHARS else "…" + owner[-(OWNER_CHARS - 1) :]
            parts.append((f" @{owner}", self._style("owner")))
        if data.open_blockers and task.status != "completed":
            parts.append((" blocked by " + ", ".join(f"#{b}" for b in data.open_blockers), self._style("blocked")))
        label = Text.assemble(*parts)
        label.stylize(style)
        if node._allow_expand:
            return Text.assemble((self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE, base_style), label)
        return label

    def _job_label(self, job: ScheduledJob) -> Text:
        """◷ every 5 minutes · next 14:05 · the prompt"""
        from claw_tui.ui.schedule import when

        muted = self._style("muted")
        kind = "" if job.recurring else ", once"
        return Text.assemble(
            ("◷ ", self._style("owner")),
            (f"{job.human}{kind} · next {when(job.next_at, self.jobs_seen_at)} · ", muted),
            " ".join(job.prompt.split()),
        )

    def _agent_parts(self, task: Task) -> list[tuple[str, Style]]:
        """A subagent's task: its own status, its type, and why it failed."""
        meta = task.metadata
        status = str(meta.get("agent_status", "queued"))
        glyph, look = AGENT_LOOK.get(status, ("·", "muted"))
        status_style = self._style(look)
        muted = self._style("muted")
        kind = f"{meta['agent_type']} agent" if meta.get("agent_type") else "agent"
        parts = [
            (glyph + " ", status_style),
            (f"#{task.id} ", muted),
            (task.subject, status_style if status == "running" else Style()),
            (f" — {kind}", muted + Style(italic=True)),
        ]
        if meta.get("background"):
            parts.append((" (background)", muted))
        if status == "failed":
            why = " ".join(str(meta.get("error") or "").split())
            parts.append((f" · failed: {why}" if why else " · failed", status_style))
        elif status != "running":
            parts.append((f" · {status}", status_style))
        return parts
