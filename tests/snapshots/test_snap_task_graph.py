"""Snapshots of the task pane with a small plan (no live model, no clock)."""

from __future__ import annotations

import pytest
from snapshots.pane_harness import PaneApp, task_graph

from claw_tui.ui.widgets.task_graph import TaskGraphPane


def make_app() -> PaneApp:
    graph = task_graph()
    return PaneApp(lambda: TaskGraphPane(tasks_source=graph.list), setup=lambda pane: pane.set_tasks(graph.list()))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_task_graph(snap_compare, size):
    """You should see "2/7 done" on top; #1 (●) with #2 (◐, highlighted, "— Fixing
    greet") and #3 under it, #4 under #2 and #6 under #4 (each "blocked by" its open blocker);
    #5 owned by @agent_1 with a dimmed "↳ see #6"; and #7 alone at the bottom."""
    assert snap_compare(make_app(), terminal_size=size)
