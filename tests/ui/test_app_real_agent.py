"""ClawApp with the real Agent (built by its default factory) and the real SDKs over HTTP to the fake model server."""

from __future__ import annotations

import pytest
from fake_model import Reply, Text, Thinking, ToolCall
from keyboard import type_text
from recorded_turns import settle

from claw_tui.ui.app import ClawApp
from claw_tui.ui.screens.main import MainScreen
from claw_tui.ui.widgets.conversation import (
    AssistantText,
    NoteBlock,
    ThinkingBlock,
    ToolCallBlock,
)


def main(app: ClawApp) -> MainScreen:
    return app.main_screen


async def test_a_real_turn_streams_thinking_text_and_a_tool_call(project, fake_model, app_for):
    (project / "notes.txt").write_text("the secret is 42\n")
    fake_model.script(
        Reply(parts=[Thinking("Read the notes first."), Text("Let me look."), ToolCall("Read", {"file_path": "notes.txt"})]),
        Reply(parts=[Text("The secret is **42**.")]),
    )
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.agent is not None, app.agent_error
        await type_text(pilot, "what is the secret?", "enter")
        await settle(pilot)
        screen = main(app)
        assert screen.query_one(ThinkingBlock).collapsed
        assert [b.source for b in screen.query(AssistantText)] == ["Let me look.", "The secret is **42**."]
        tool = screen.query_one(ToolCallBlock)
        assert tool.status == "done" and "notes.txt" in str(tool.title)
        assert "the secret is 42" in (tool.output or "")
        assert screen.usage.calls == 2 and screen.usage.cost_usd > 0
        assert not screen.query(NoteBlock), "no errors or notices"


async def test_escape_cancels_a_slow_real_stream_and_the_next_turn_works(project, fake_model, app_for):
    fake_model.script(
        Reply(parts=[Text("one two three four five six seven eight nine ten " * 4)], token_delay=0.05),
        Reply(parts=[Text("Fresh answer.")]),
    )
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "count slowly", "enter")
        screen = main(app)
        while not screen.query(AssistantText):  # the first words arrive over HTTP
            await pilot.pause(0.02)
        await pilot.press("escape")
        await settle(pilot)
        assert [str(n.render()) for n in screen.query(NoteBlock)][-1] == "Interrupted · What should claw do instead?"
        assert not screen.turn_running
        # The server counted the prompt's tokens when the stream started: the cancelled call costs them.
        assert screen.usage.calls == 1 and screen.usage.input_tokens > 0 and screen.usage.cost_usd > 0
        stored = app.store.get(app.agent.session_id)
        assert stored is not None and stored.cost_usd == pytest.approx(screen.usage.cost_usd)
        await type_text(pilot, "again", "enter")
        await settle(pilot)
        assert list(screen.query(AssistantText))[-1].source == "Fresh answer."
        assert [m.role for m in app.agent.transcript][-2:] == ["user", "assistant"]


async def test_a_cancel_that_lands_while_the_screen_draws_keeps_the_text_and_the_cost(
    project, fake_model, app_for, monkeypatch
):
    """Escape while the turn's worker pauses between events (not inside the engine's stream, as under
    load): the engine still keeps what streamed and counts the call the cancel cut short."""
    import claw_tui.ui.screens.main as main_module

    monkeypatch.setattr(main_module, "SLICE_S", 0.0)  # the worker pauses after every event
    # Streamed over seconds, so the turn cannot end before the Escape lands (under load it once did,
    # and a finished turn has nothing to keep or mark); the screen still draws after every event.
    fake_model.script(Reply(parts=[Text("word " * 3000)], token_delay=0.002), Reply(parts=[Text("Fresh answer.")]))
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "count", "enter")
        screen = main(app)
        while not screen.query(AssistantText):
            await pilot.pause(0.01)
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.turn_running
        assert screen.usage.calls == 1 and screen.usage.input_tokens > 0
        kept, marker = app.agent.transcript[-2:]
        assert kept.role == "assistant" and kept.text.startswith("word word"), "what streamed is kept"
        assert marker.is_interruption
        stored = app.store.get(app.agent.session_id)
        assert stored is not None and stored.cost_usd == pytest.approx(screen.usage.cost_usd)


async def test_a_real_write_approval_with_one_hunk_accepted_and_one_rejected(project, fake_model, app_for):
    """Mode default asks for the write; the user rejects the first hunk and approves: only the second
    lands on disk, and the model is told which hunk was rejected."""
    from claw_tui.ui.screens.approval import ApprovalScreen
    from claw_tui.ui.widgets.diff_view import FileDiff

    before = "".join(f"line {n}\n" for n in range(1, 13))
    after = before.replace("line 2\n", "line two\n").replace("line 11\n", "line eleven\n")
    (project / "numbers.txt").write_text(before)
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "numbers.txt"})]),
        Reply(parts=[ToolCall("Write", {"file_path": "numbers.txt", "content": after})]),
        Reply(parts=[Text("Only the second change was kept.")]),
    )
    app = app_for(mode="default")
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "spell out two and eleven", "enter")
        while not (isinstance(app.screen, ApprovalScreen) and app.screen.drawn_at):  # on screen: a key answers it
            await pilot.pause(0.02)
        approval = app.screen
        assert [len(d.hunks) for d in approval.diffs] == [2]
        assert main(app).diff_view.title == "Under review: Write numbers.txt", "the diff pane shows it too"
        rule = approval.query_one("#approval-rule").render().plain  # Edit(/**) is not "every file on disk"
        assert rule == "A allows edits anywhere in ~/project for this session (Edit(/**))"
        await pilot.press("space")  # reject the selected (first) hunk
        await pilot.pause()
        assert "✗ reject · hunk 1/2" in approval.hunk_view(approval.refs[0]).label
        await pilot.press("y")
        await settle(pilot)
        screen = main(app)
        assert (project / "numbers.txt").read_text() == before.replace("line 11\n", "line eleven\n")
        told = str(fake_model.requests[-1].json["messages"][-1]["content"])
        assert "rejected hunk 1 of numbers.txt (line 2)" in told
        record = next(r for r in screen.tool_log.calls.values() if r.name == "Write")
        assert record.status == "done" and record.decision.startswith("ask → allowed by")
        row = screen.tool_log.option_list.get_option(record.call_id).prompt.plain
        assert row.startswith("✓ Write numbers.txt (1 of 2 hunks applied) · "), "the log says some hunks were left out"
        assert str(screen.query(ToolCallBlock).last().title) == "◐ Write numbers.txt (1 of 2 hunks applied)"
        shown: list[FileDiff] = screen.diff_view.changes
        assert screen.diff_view.title == "Last change"
        assert [d.path for d in shown] == ["numbers.txt"] and shown[0].added_count == 1
        assert list(screen.query(AssistantText))[-1].source == "Only the second change was kept."
    again = app_for(continue_=True)  # `claw -c`: the stored call says the same
    async with again.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main(again)
        rows = [screen.tool_log.option_list.get_option_at_index(i).prompt.plain
                for i in range(screen.tool_log.option_list.option_count)]
        assert rows[-1] == "✓ Write numbers.txt (1 of 2 hunks applied)"
        assert str(screen.query(ToolCallBlock).last().title) == "◐ Write numbers.txt (1 of 2 hunks applied)"


async def test_a_denied_real_write_stays_in_the_diff_pane_as_denied(project, fake_model, app_for):
    from claw_tui.ui.screens.approval import ApprovalScreen

    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "new.txt", "content": "hello\n"})]),
        Reply(parts=[Text("Understood, no file.")]),
    )
    app = app_for(mode="default")
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "make a file", "enter")
        while not (isinstance(app.screen, ApprovalScreen) and app.screen.drawn_at):  # on screen: a key answers it
            await pilot.pause(0.02)
        await pilot.press("n")
        await settle(pilot)
        assert not (project / "new.txt").exists()
        diff = main(app).diff_view
        assert diff.title == "Denied, not written: Write new.txt"
        assert [d.path for d in diff.changes] == ["new.txt"]
