"""Subagents in the TUI: ClawApp with a real Agent whose model (the fake server) calls Agent three times at once.

Each child waits at a gate (a Bash loop until a file exists), so the test sees all three running
together, then releases them, or cancels the turn with Esc.
"""

from __future__ import annotations

from keyboard import type_text
from recorded_turns import settle
from snapshots.swarm_harness import CHILDREN, GATE, pane_lines, running_gates, swarm_replies

from claw_tui.ui.screens.main import MainScreen
from claw_tui.ui.widgets.conversation import AssistantText, NoteBlock


async def wait_for(pilot, condition) -> None:
    """Let the app run until `condition()` holds (the test's timeout bounds it)."""
    while not condition():
        await pilot.pause(0.02)


def tool_rows(screen: MainScreen) -> list[str]:
    options = screen.tool_log.option_list
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_three_children_run_at_once_live_in_the_task_pane_and_tool_log(project, fake_model, app_for):
    fake_model.script(*swarm_replies())
    app = app_for()
    async with app.run_test(size=(180, 50)) as pilot:
        screen: MainScreen = app.main_screen
        await type_text(pilot, "audit everything", "enter")
        await wait_for(pilot, lambda: running_gates(screen.tool_log) == 3)
        await pilot.pause()

        # All three children are running at the same moment: each one's task is in progress.
        assert pane_lines(screen.task_pane) == [
            f"◐ #{n} {description} — general-purpose agent @{call_id}"
            for n, (call_id, description, _) in enumerate(CHILDREN, 1)
        ]
        assert screen.task_pane.border_title == "Tasks · 0/3 done"
        # Each child's Bash call sits under its Agent call in the tool log.
        records = screen.tool_log.calls
        for call_id, _, key in CHILDREN:
            (bash,) = [r for r in records.values() if r.agent_id == call_id]
            assert bash.name == "Bash" and key in bash.summary and bash.status == "running"
            assert records[call_id].children == [bash.call_id]
        rows = tool_rows(screen)
        assert [row.split(" · ")[0] for row in rows] == [
            line
            for call_id, description, key in CHILDREN
            for line in (
                f"◐ Agent general-purpose: {description}",
                f"  ↳ ◐ Bash until [ -e gate ]; do sleep 0.02; done; echo {key} passed",
            )
        ]

        (project / GATE).touch()
        await settle(pilot)
        assert pane_lines(screen.task_pane) == [
            f"● #{n} {description} — general-purpose agent · completed @{call_id}"
            for n, (call_id, description, _) in enumerate(CHILDREN, 1)
        ]
        assert screen.task_pane.border_title == "Tasks · 3/3 done"
        assert {r.status for r in records.values()} == {"done"}
        bash = next(r for r in records.values() if r.agent_id == CHILDREN[0][0])
        assert bash.output.strip() == "child-auth passed"
        assert records[CHILDREN[0][0]].output == "Audit the auth module: no problems found."
        assert list(screen.query(AssistantText))[-1].source == "All three agents reported."
        # The children's replies went to the model as the Agent calls' results, all in one message.
        results = fake_model.requests[-1].json["messages"][-1]["content"]
        assert [r["tool_use_id"] for r in results] == [call_id for call_id, _, _ in CHILDREN]


async def test_escape_mid_swarm_cancels_every_child(fake_model, app_for):
    fake_model.script(*swarm_replies())
    app = app_for()
    async with app.run_test(size=(180, 50)) as pilot:
        screen: MainScreen = app.main_screen
        await type_text(pilot, "audit everything", "enter")
        await wait_for(pilot, lambda: running_gates(screen.tool_log) == 3)
        await pilot.press("escape")
        await settle(pilot)

        children = app.agent.subagents.list()
        assert [(c.id, c.status) for c in children] == [(call_id, "cancelled") for call_id, _, _ in CHILDREN]
        assert pane_lines(screen.task_pane) == [
            f"■ #{n} {description} — general-purpose agent · cancelled @{call_id}"
            for n, (call_id, description, _) in enumerate(CHILDREN, 1)
        ]
        assert {r.status for r in screen.tool_log.calls.values()} == {"cancelled"}
        assert [str(n.render()) for n in screen.query(NoteBlock)][-1] == "Interrupted · What should claw do instead?"
        assert not screen.turn_running
        # Nothing was left waiting at the gate: no further model request came from a child.
        assert len(fake_model.requests) == 4


async def test_a_background_child_reports_live_after_the_turn_ended(project, fake_model, app_for):
    (child,) = CHILDREN[:1]
    call_id, description, key = child
    fake_model.script(*swarm_replies((child,), background=True, final="It runs in the background."))
    app = app_for()
    async with app.run_test(size=(180, 50)) as pilot:
        screen: MainScreen = app.main_screen
        await type_text(pilot, "audit in the background", "enter")
        await settle(pilot)
        assert list(screen.query(AssistantText))[-1].source == "It runs in the background."
        assert not screen.turn_running

        await wait_for(pilot, lambda: running_gates(screen.tool_log) == 1)
        await pilot.pause()
        assert pane_lines(screen.task_pane) == [f"◐ #1 {description} — general-purpose agent (background) @{call_id}"]
        bash = next(r for r in screen.tool_log.calls.values() if r.agent_id == call_id)
        assert screen.tool_log.calls[call_id].status == "done", "the Agent call returned when the child started"

        (project / GATE).touch()
        manager = app.agent.subagents
        await manager.children[call_id].done.wait()
        await pilot.pause()
        await pilot.pause()
        assert bash.status == "done" and bash.output.strip() == f"{key} passed"
        assert pane_lines(screen.task_pane) == [
            f"● #1 {description} — general-purpose agent (background) · completed @{call_id}"
        ]


async def test_agents_opens_the_agent_list_and_new_types_reach_the_model(project, app_for):
    from claw_tui.ui.screens.agents import AgentsScreen

    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "/agents", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        assert app.screen.cwd == project
        agents_dir = project / ".claude" / "agents"
        agents_dir.mkdir(parents=True)
        (agents_dir / "reviewer.md").write_text("---\nname: reviewer\ndescription: Reviews diffs\n---\nReview.\n")
        assert "reviewer" not in app.agent.tools["Agent"].description
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "- reviewer: Reviews diffs" in app.agent.tools["Agent"].description
