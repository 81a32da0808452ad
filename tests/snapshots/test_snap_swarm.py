"""The task pane and tool log during a swarm: a real Agent whose model calls Agent four times at once."""

from __future__ import annotations

from snapshots.swarm_harness import CHILDREN, SwarmApp, running_gates, swarm_replies

FOURTH = ("toolu_docs", "Check the docs", "child-docs")


def test_task_pane_during_a_swarm(snap_compare, fake_model, isolated_home, monkeypatch):
    """You should see, in the task pane on top, "0/4 done" and four agent tasks: #1-#3 running
    (◐ in the accent colour, bold subject, "— general-purpose agent" in muted italics, the owner
    @toolu_auth / @toolu_db / @toolu_ui in the secondary colour) and #4 "Check the docs" waiting for a
    slot (○, "· queued", @toolu_docs), since at most three agents run at once. Below, the tool log:
    four running Agent calls (◐), each of the first three with its child's Bash call indented under it
    ("↳ ◐ Bash until [ -e gate ]…"), the fourth with none yet."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)
    project = isolated_home / "project"
    project.mkdir()
    fake_model.script(*swarm_replies((*CHILDREN, FOURTH)))
    app = SwarmApp(project, max_concurrent=3)

    async def run_before(pilot) -> None:
        while not (running_gates(app.tool_log) == 3 and len(app.agent.task_graph.list()) == 4):
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(150, 34), run_before=run_before)
