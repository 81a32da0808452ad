"""The task pane: the DAG as a tree, glyphs, blockers, owners and the progress count."""

from __future__ import annotations

from snapshots.pane_harness import PaneApp, task_graph
from textual.widgets.tree import TreeNode

from claw_tui.core import events as ev
from claw_tui.ui.widgets.task_graph import TaskGraphPane, TaskNode


def label(pane: TaskGraphPane, node: TreeNode[TaskNode]) -> str:
    return pane.render_label(node, pane.rich_style, pane.rich_style).plain


def outline(pane: TaskGraphPane, node: TreeNode[TaskNode] | None = None, depth: int = 0) -> list[str]:
    node = node or pane.root
    lines = [] if node is pane.root else ["  " * depth + label(pane, node).removeprefix("▼ ")]
    for child in node.children:
        lines += outline(pane, child, depth + (0 if node is pane.root else 1))
    return lines


async def test_dependencies_become_a_tree_with_progress_and_blockers():
    graph = task_graph()
    app = PaneApp(lambda: TaskGraphPane(tasks_source=graph.list), setup=lambda p: p.set_tasks(graph.list()))
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        assert str(pane.root.label) == "2/7 done"
        assert pane.border_title == "Tasks · 2/7 done"
        assert outline(pane) == [
            "● #1 Read the failing test @main",
            "  ◐ #2 Fix greet's return type — Fixing greet @main",
            "    ○ #4 Run the unit tests @main blocked by #2",
            "      ○ #6 Open the pull request @main blocked by #4",
            "  ○ #3 Update the README @main",
            "● #5 Find every caller of greet @agent_1",
            "  ↳ see #6 Open the pull request",
            "○ #7 Write the changelog entry @main",
        ]


async def test_task_tool_results_reread_the_graph():
    graph = task_graph()
    app = PaneApp(lambda: TaskGraphPane(tasks_source=graph.list), setup=lambda p: p.set_tasks(graph.list()))
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        graph.update("2", status="completed")
        graph.update("4", status="in_progress")
        pane.handle_event(ev.ToolCallFinished(call_id="x", name="Read", status="done", output="", ts=0))
        assert str(pane.root.label) == "2/7 done"  # not a task tool: nothing re-read
        pane.handle_event(ev.ToolCallFinished(call_id="y", name="TaskUpdate", status="done", output="", ts=0))
        assert str(pane.root.label) == "3/7 done"
        lines = outline(pane)
        assert "    ◐ #4 Run the unit tests — Running the unit tests @main" in lines  # no longer blocked
        graph.update("7", status="deleted")
        pane.set_tasks(graph.list())
        assert str(pane.root.label) == "3/6 done"


async def test_no_tasks_and_no_owners():
    app = PaneApp(TaskGraphPane)
    async with app.run_test():
        pane = app.pane
        assert str(pane.root.label) == "No tasks yet"
        graph = task_graph()
        for task in graph.list():
            task.owner = None
        pane.set_tasks(graph.list())
        assert outline(pane)[0] == "● #1 Read the failing test"  # owners only shown when some task has one
