"""A question that pops up while the user types (an edit's approval, the folder's trust) is not
answered by the keys of that typing: they go on into the prompt (test_app_trust.py has the trust's)."""

from __future__ import annotations

from fake_model import Reply, Text, ToolCall
from recorded_turns import settle
from textual import events

from claw_tui.ui.screens.approval import ApprovalScreen
from claw_tui.ui.type_ahead import BURST_GAP_S


async def test_typing_on_as_an_approval_pops_up_does_not_approve_it(project, fake_model, app_for):
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "notes.txt", "content": "hello\n"})]),
        Reply(parts=[Text("Written.")]),
    )
    app = app_for(mode="default")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"write notes", "enter")
        while not (isinstance(app.screen, ApprovalScreen) and app.screen.drawn_at):
            await pilot.pause(0.02)
        drawn = app.screen.drawn_at
        # The next prompt's keys, 0.1 s apart, begun before the dialog was drawn: Enter and "y" among them.
        for pressed_at, key, character in ((drawn - 0.15, "n", "n"), (drawn - 0.05, "o", "o"), (drawn + 0.02, "x", "x"),
                                           (drawn + 0.04, "backspace", "\x7f"), (drawn + 0.05, "enter", "\r"),
                                           (drawn + 0.15, "y", "y")):
            typed = events.Key(key, character)
            typed.time = pressed_at
            app.post_message(typed)
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen), "a key of that burst answered the approval"
        assert not (project / "notes.txt").exists()
        assert app.main_screen.prompt.text == "noy"  # the letters typed and the typo undone, not lost; Enter sent nothing
        await pilot.pause(BURST_GAP_S * 2)  # the user stops and reads it
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, ApprovalScreen)
    assert (project / "notes.txt").read_text() == "hello\n"


async def test_an_enter_typed_before_claw_showed_anything_sends_the_prompt(project, fake_model, app_for):
    """`claw⏎ hi⏎` typed at once: until claw takes the terminal it is in line mode, whose Enter arrives
    as a line feed, the key of the prompt's new line (Ctrl+J). Read before the first frame, that
    line feed sends what was typed; Ctrl+J pressed once the screen is up is a new line."""
    fake_model.script(Reply(parts=[Text("Hello.")]))
    app = app_for(mode="default")
    typed_early = [events.Key("h", "h"), events.Key("i", "i"), events.Key("ctrl+j", "\n")]  # stamped now
    async with app.run_test(size=(120, 40)) as pilot:
        for key in typed_early:
            app.post_message(key)
        await settle(pilot)
        [request] = fake_model.requests
        assert '"hi"' in request.body.decode()
        assert app.main_screen.prompt.text == ""
        await pilot.press("a", "ctrl+j", "b")
        assert app.main_screen.prompt.text == "a\nb"
