"""The approval screen and the TUI approver: per-hunk choices, notes, always-allow, Bash, Futures."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from snapshots.pane_harness import (
    APP_PY_AFTER,
    APP_PY_BEFORE,
    ApprovalApp,
    bash_request,
    write_request,
)
from textual import work
from textual.app import App
from textual.widgets import Static
from textual.worker import WorkerCancelled

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.diffs import FileChange, apply_hunks
from claw_tui.ui.approver import SHUTDOWN_NOTE, TuiApprover
from claw_tui.ui.screens.approval import ApprovalScreen
from claw_tui.ui.theming import CLAW_VARIABLES


async def answer(request: ApprovalRequest, *keys: str) -> ApprovalResponse | None:
    app = ApprovalApp(request)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert len(app.responses) == 1, "the screen should have been answered exactly once"
        assert not isinstance(app.screen, ApprovalScreen)
    return app.responses[0]


async def test_one_hunk_accepted_one_rejected_narrows_the_change():
    response = await answer(write_request(), "j", "space", "y")
    assert response is not None and response.behavior == "allow"
    assert response.changes is not None and len(response.changes) == 1
    assert response.changes[0].after == apply_hunks(APP_PY_BEFORE, APP_PY_AFTER, {0})
    assert "def greet(name: str) -> str:" in response.changes[0].after
    assert "raise SystemExit(main())" in response.changes[0].after
    assert response.note == "The user rejected hunk 2 of src/app.py (line 16); those lines were not changed."
    assert not response.remember


async def test_accept_everything_passes_the_change_unchanged():
    response = await answer(write_request(), "enter")
    assert response == ApprovalResponse("allow")


async def test_rejecting_every_hunk_denies():
    response = await answer(write_request(), "r", "y")
    assert response is not None and response.behavior == "deny"
    assert "rejected every change" in response.note
    # Accept all after reject all brings them back.
    assert await answer(write_request(), "r", "a", "y") == ApprovalResponse("allow")


async def test_deny_with_a_typed_note():
    response = await answer(write_request(), "N", *"use logging instead", "enter")
    assert response == ApprovalResponse("deny", note="use logging instead")


async def test_escape_closes_the_note_box_then_denies():
    app = ApprovalApp(write_request())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("N", "y", "escape")  # "y" is typed into the note, not an approval
        await pilot.pause()
        assert app.responses == [] and isinstance(app.screen, ApprovalScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.responses == [ApprovalResponse("deny")]


async def test_always_allow_remembers_and_shows_the_rule():
    app = ApprovalApp(write_request())
    async with app.run_test(size=(100, 40)) as pilot:
        rule = app.screen.query_one("#approval-rule", Static).render().plain
        assert rule == "A allows edits anywhere in ~/project/src for this session (Edit(/src/**))"
        await pilot.press("A")
        await pilot.pause()
    assert app.responses == [ApprovalResponse("allow", remember=True)]


async def test_bash_request_shows_command_directory_sandbox_and_reason(isolated_home):
    # The engine gives the directory whole; the dialog shortens it as the status bar does.
    app = ApprovalApp(dataclasses.replace(bash_request(), cwd=str(isolated_home / "project")))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)

        def shown(widget_id: str) -> str:
            return str(screen.query_one(f"#{widget_id}", Static).render().plain)

        assert shown("approval-command") == "rm -rf build && make -j4 test"
        texts = [str(w.render()) for w in screen.query(Static)]
        assert sum("make -j4 test" in text for text in texts) == 1, "the command is shown once"
        assert shown("approval-cwd") == "Directory: ~/project"
        assert shown("approval-sandbox") == "Sandbox: off: the command runs with your full permissions"
        assert shown("approval-reason") == "Why: ask rule Bash(rm:*) from project settings"
        assert screen.query_one("#approval-dialog").border_title == "Bash needs your approval"
        await pilot.press("space", "r")  # no hunks here: these keys do nothing
        await pilot.press("y")
        await pilot.pause()
    assert app.responses == [ApprovalResponse("allow")]


async def test_generic_tool_shows_its_input_and_escape_denies():
    request = ApprovalRequest(
        call_id="c9", tool_name="WebFetch", input={"url": "https://example.com"}, summary="WebFetch example.com",
        reason="mode default: network asks",
    )
    app = ApprovalApp(request)
    async with app.run_test(size=(80, 24)) as pilot:
        assert '"url": "https://example.com"' in app.screen.query_one("#approval-input", Static).render().plain
        assert not app.screen.query("#approval-rule")
        await pilot.press("A")  # no suggested rule: always-allow is not offered
        await pilot.pause()
        assert app.responses == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.responses == [ApprovalResponse("deny")]


async def test_a_new_file_with_its_hunk_rejected_is_not_created():
    request = write_request()
    request.changes.append(FileChange(request.changes[0].path.with_name("new.py"), None, "x = 1\n"))
    response = await answer(request, "j", "j", "space", "y")
    assert response is not None and response.behavior == "allow"
    assert response.changes == [request.changes[0]]
    assert response.note == "The user rejected hunk 1 of src/new.py (new lines at the top); those lines were not changed."


class ApproverApp(App[None]):
    """A worker on the app's loop awaits the approver, as the turn worker does."""

    def __init__(self) -> None:
        super().__init__()
        self.approver = TuiApprover(self)
        self.answers: list[ApprovalResponse] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    @work(group="turn", exit_on_error=False)
    async def ask(self, request: ApprovalRequest) -> None:
        self.answers.append(await self.approver.decide(request))

    @work(thread=True, group="turn", exit_on_error=False)
    def ask_from_thread(self, request: ApprovalRequest) -> None:
        self.answers.append(asyncio.run(self.approver.decide(request)))


async def wait_for_approval_screen(pilot) -> ApprovalScreen:
    for _ in range(200):
        if isinstance(pilot.app.screen, ApprovalScreen):
            return pilot.app.screen
        await pilot.pause()
    raise AssertionError("the approval screen never opened")


async def test_tui_approver_resolves_the_future_from_the_screen():
    app = ApproverApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.ask(write_request())
        screen = await wait_for_approval_screen(pilot)
        assert screen.request.summary == "Edit src/app.py"
        await pilot.press("j", "space", "enter")
        await app.workers.wait_for_complete()
        assert len(app.answers) == 1
        assert app.answers[0].changes is not None
        assert app.answers[0].changes[0].after == apply_hunks(APP_PY_BEFORE, APP_PY_AFTER, {0})


async def test_no_toast_covers_the_approval_dialog_at_50x15():
    """The dialog is the question: a toast repeating it sat over its keys and rule line for seconds."""
    app = ApproverApp()
    async with app.run_test(size=(50, 15)) as pilot:
        app.ask(write_request())
        screen = await wait_for_approval_screen(pilot)
        await pilot.pause()
        assert not app._notifications, [n.message for n in app._notifications]
        rule = screen.query_one("#approval-rule")
        assert rule.region and screen.get_widget_at(rule.region.x, rule.region.y)[0] is rule


async def test_tui_approver_works_from_another_thread():
    app = ApproverApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.ask_from_thread(bash_request())
        await wait_for_approval_screen(pilot)
        await pilot.press("n")
        await app.workers.wait_for_complete()
        assert app.answers == [ApprovalResponse("deny")]


async def test_tui_approver_denies_when_the_app_closes_unanswered():
    app = ApproverApp()
    async with app.run_test(size=(100, 40)) as pilot:
        pending = asyncio.ensure_future(app.approver.decide(write_request()))
        await wait_for_approval_screen(pilot)
    assert await asyncio.wait_for(pending, 5) == ApprovalResponse("deny", note=SHUTDOWN_NOTE)
    # Once closed, nothing is shown and the answer is deny at once.
    assert await app.approver.decide(write_request()) == ApprovalResponse("deny", note=SHUTDOWN_NOTE)


async def test_cancelling_the_waiting_turn_takes_the_screen_away():
    app = ApproverApp()
    async with app.run_test(size=(100, 40)) as pilot:
        worker = app.ask(write_request())
        await wait_for_approval_screen(pilot)
        worker.cancel()
        with pytest.raises(WorkerCancelled):
            await worker.wait()
        await pilot.pause()
        assert not isinstance(app.screen, ApprovalScreen)
        assert app.answers == []


async def test_a_plan_to_approve_reads_as_markdown_not_json():
    from textual.widgets import Markdown

    plan = "## Plan\n\n1. Read `app.py`\n2. Fix the greeting\n"
    request = ApprovalRequest(call_id="c1", tool_name="ExitPlanMode", input={"plan": plan}, summary="Approve plan",
                              reason="plan mode: the plan needs approval")
    app = ApprovalApp(request)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = app.screen.query_one("#approval-plan", Markdown)
        assert shown.source == plan
        assert not app.screen.query("#approval-input")
