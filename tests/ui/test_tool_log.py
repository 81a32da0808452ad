"""The tool-call log: rows through a call's whole life, decisions, details, filter, subagents."""

from __future__ import annotations

from keyboard import type_text
from snapshots.pane_harness import PaneApp, tool_events
from textual.widgets import Input, Log, OptionList

from claw_tui.core import events as ev
from claw_tui.ui.widgets import tool_log
from claw_tui.ui.widgets.tool_log import ToolLog


def row(log: ToolLog, call_id: str) -> str:
    return log.option_list.get_option(call_id).prompt.plain  # type: ignore[union-attr]


def row_ids(log: ToolLog) -> list[str | None]:
    options = log.option_list
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def test_a_call_row_follows_its_lifecycle_in_place():
    app = PaneApp(ToolLog)
    async with app.run_test() as pilot:
        log = app.pane
        log.handle_event(ev.ToolCallStarted(call_id="c2", name="Edit", ts=0))
        assert row(log, "c2").startswith("… Edit")
        log.handle_event(ev.ToolCallQueued(call_id="c2", name="Edit", input={"file_path": "a.py"}, summary="Edit a.py", ts=0))
        assert row(log, "c2") == "○ Edit a.py"
        log.handle_event(ev.PermissionRequested(call_id="c2", name="Edit", reason="mode default: writes ask", ts=0))
        assert row(log, "c2") == "? Edit a.py · waiting for approval"
        log.handle_event(ev.PermissionDecided(call_id="c2", behavior="allow", decided_by="user (mode default: writes ask)", ts=0))
        log.handle_event(ev.ToolCallRunning(call_id="c2", ts=0))
        assert row(log, "c2") == "◐ Edit a.py · running · ask → allowed by user (mode default: writes ask)"
        log.handle_event(ev.ToolCallFinished(call_id="c2", name="Edit", status="done", output="ok", duration_ms=1500, ts=0))
        await pilot.pause()
        assert row(log, "c2") == "✓ Edit a.py · 1.5s · ask → allowed by user (mode default: writes ask)"
        assert log.option_list.option_count == 1


async def test_denied_failed_and_rule_decisions_are_shown():
    app = PaneApp(ToolLog, tool_events())
    async with app.run_test():
        log = app.pane
        assert row(log, "c3") == "⊘ Bash git push · denied · deny rule Bash(git push:*) from project settings"
        assert row(log, "c4") == "✗ Bash pytest -q · failed · 2.4s · allow rule Bash(pytest:*) from project settings"
        assert row(log, "c1") == "✓ Read src/app.py · 12ms · allow · mode default: reads are allowed"
        assert row(log, "c5") == "○ Grep TODO"


async def test_subagent_calls_sit_indented_under_their_agent_call():
    app = PaneApp(ToolLog, tool_events())
    async with app.run_test():
        log = app.pane
        assert row_ids(log) == ["c1", "c2", "c3", "c4", "agent_1", "s1", "s2", "c5"]
        assert row(log, "s1").startswith("  ↳ ✓ Grep")
        assert row(log, "s2") == "  ↳ ◐ Read src/app.py · running"
        assert not row(log, "agent_1").startswith(" ")


async def test_selecting_a_row_shows_its_full_input_and_output():
    app = PaneApp(ToolLog, tool_events())
    async with app.run_test() as pilot:
        log = app.pane
        log.option_list.focus()
        await pilot.press("down", "down", "down", "down")  # c1 → c4
        await pilot.pause()
        lines = list(log.query_one("#tool-detail", Log).lines)
        assert lines[0] == "✗ Bash · failed"
        assert '  "command": "pytest -q"' in lines
        assert "1 failed, 1 passed" in lines
        assert "decision: allow rule Bash(pytest:*) from project settings" in lines
        # Output arriving for the shown call is appended live.
        log.handle_event(ev.ToolCallStarted(call_id="c9", name="Bash", ts=0))
        log.show_call("c9")
        log.handle_event(ev.ToolCallOutput(call_id="c9", text="line one\n", ts=0))
        await pilot.pause()
        assert "line one" in log.query_one("#tool-detail", Log).lines


async def test_filter_by_tool_text_or_status():
    app = PaneApp(ToolLog, tool_events())
    async with app.run_test() as pilot:
        log = app.pane
        log.query_one("#tool-filter", Input).focus()
        await type_text(pilot, "bash")
        await pilot.pause()
        assert row_ids(log) == ["c3", "c4"]
        log.query_one("#tool-filter", Input).value = "failed"
        await pilot.pause()
        assert row_ids(log) == ["c4"]
        # A call that starts matching later shows up.
        log.handle_event(ev.ToolCallFinished(call_id="c5", name="Grep", status="failed", output="bad regex", is_error=True, ts=0))
        assert row_ids(log) == ["c4", "c5"]
        log.query_one("#tool-filter", Input).value = ""
        await pilot.pause()
        assert len(row_ids(log)) == 8


async def test_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(tool_log, "MAX_CALLS", 20)
    monkeypatch.setattr(tool_log, "OUTPUT_LIMIT", 100)
    app = PaneApp(ToolLog)
    async with app.run_test():
        log = app.pane
        for i in range(30):
            log.handle_event(ev.ToolCallStarted(call_id=f"c{i}", name="Bash", ts=0))
            log.handle_event(ev.ToolCallFinished(call_id=f"c{i}", name="Bash", status="done", output="x" * 500, ts=0))
        assert len(log.calls) == 20
        assert log.option_list.option_count == 20
        assert row_ids(log)[0] == "c10"
        record = log.calls["c29"]
        assert len(record.output) == 100 and record.output_dropped == 400
        assert log.detail_lines(record)[-1] == "… 400 more characters not kept"
        assert isinstance(log.option_list, OptionList)


async def test_a_filter_that_matches_nothing_says_so_and_esc_clears_it():
    app = PaneApp(ToolLog, tool_events())
    async with app.run_test() as pilot:
        log = app.pane
        log.query_one("#tool-filter", Input).focus()
        await type_text(pilot, "nosuchtool")
        await pilot.pause()
        assert [log.option_list.get_option_at_index(0).prompt.plain] == ["No calls match 'nosuchtool'"]
        await pilot.press("escape")
        await pilot.pause()
        assert log.query_one("#tool-filter", Input).value == ""
        assert len(row_ids(log)) == 8 and log.option_list.has_focus


async def test_new_rows_stay_in_view_unless_the_user_moves_through_the_list():
    app = PaneApp(ToolLog)
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.pane
        options = log.option_list
        await pilot.pause()
        app.set_focus(None)  # as in the app, where the prompt has it
        await pilot.pause()
        for i in range(60):
            log.handle_event(ev.ToolCallStarted(call_id=f"c{i}", name="Bash", ts=0))
        await pilot.pause()
        await pilot.pause()  # the list is sized with the new rows in one refresh and follows them after it
        assert options.max_scroll_y > 0 and options.scroll_y == options.max_scroll_y, "the newest row is in view"
        options.focus()
        options.highlighted = 0
        await pilot.pause()
        log.handle_event(ev.ToolCallStarted(call_id="c60", name="Bash", ts=0))
        await pilot.pause()
        await pilot.pause()
        assert options.scroll_y == 0, "a user looking at an older row keeps it"
