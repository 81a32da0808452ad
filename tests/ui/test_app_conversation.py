"""The conversation pane fed with engine events: streaming, folding, tool lines, retries, pruning."""

from __future__ import annotations

import asyncio

from textual.app import App

from claw_tui.core import events as ev
from claw_tui.core.transcript import Message, TextBlock
from claw_tui.ui.theming import CLAW_VARIABLES, register_themes
from claw_tui.ui.widgets.conversation import (
    AssistantText,
    Conversation,
    NoteBlock,
    ThinkingBlock,
    ToolCallBlock,
)


class ConversationApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self):
        yield Conversation()

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = "claw-dark"

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)


async def feed(app: ConversationApp, *events: ev.EngineEvent) -> None:
    for event in events:
        await app.conversation.handle_event(event)


async def written(block: AssistantText) -> None:
    """Until the block has appended every delta it was given (it appends at most once a frame)."""
    while block.streaming:
        await asyncio.sleep(0.01)


def completed(text: str) -> ev.MessageCompleted:
    return ev.MessageCompleted(message=Message(role="assistant", content=[TextBlock(text=text)]))


async def test_text_streams_into_one_markdown_block_incrementally():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)):
        await feed(app, ev.TurnStarted(turn_id="t", model="m"), ev.TextDelta(text="Hello "))
        block = app.query_one(AssistantText)
        await written(block)
        assert block.source == "Hello "
        await feed(app, ev.TextDelta(text="**world**\n\n```python\nprint(1)\n"), ev.TextDelta(text="```\n"))
        await written(block)
        assert block.source == "Hello **world**\n\n```python\nprint(1)\n```\n", "deltas arriving together are appended together"
        assert len(app.query(AssistantText)) == 1, "deltas of one block extend it"
        await feed(app, ev.TextDelta(text="The end."), completed("…"))
        assert not block.streaming and block.source.endswith("```\nThe end."), "the block's end appends what is pending"
        drawn = [line.text.rstrip() for line in block._lines]
        assert "  print(1)" in drawn and not any("```" in line for line in drawn), "the fence is drawn as a code block"


async def test_thinking_is_folded_with_a_char_count_and_expands():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(app, ev.ThinkingDelta(text="abc"), ev.ThinkingDelta(text="defg"), ev.TextDelta(text="Answer"))
        await pilot.pause()
        thinking = app.query_one(ThinkingBlock)
        assert thinking.collapsed
        assert "7 chars" in str(thinking.title)
        assert len(app.query(AssistantText)) == 1, "a role change starts a new block"
        thinking.collapsed = False
        await pilot.pause()
        assert "abcdefg" in str(thinking._body.render())


async def test_tool_call_shows_its_result_inline_and_opens_with_enter_or_a_click():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(
            app,
            ev.TextDelta(text="Running."),
            ev.ToolCallStarted(call_id="c1", name="Bash"),
            ev.ToolCallQueued(call_id="c1", name="Bash", input={"command": "python hello.py"}, summary="Bash: python hello.py"),
            ev.ToolCallRunning(call_id="c1"),
        )
        block = app.query_one(ToolCallBlock)
        assert str(block.title) == "● Bash: python hello.py"
        output = "\n".join(["hello, world", *(f"line {n}" for n in range(2, 12))])
        await feed(app, ev.ToolCallFinished(call_id="c1", name="Bash", status="done", output=output))
        await pilot.pause()
        assert str(block.title) == "✓ Bash: python hello.py"
        shown = str(block._body.render())
        assert shown.startswith("hello, world\nline 2") and "line 11" not in shown and "5 more lines" in shown
        block.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not block.collapsed
        opened = str(block._body.render())
        assert opened.startswith("$ python hello.py\nhello, world") and "line 11" in opened
        await pilot.click(ToolCallBlock)
        await pilot.pause()
        assert block.collapsed and "line 11" not in str(block._body.render())


async def test_a_running_command_shows_its_latest_lines_as_they_come():
    """A command's output showed under its line only once it ended (the tool log had it as it came):
    now its latest lines show while it runs, redrawn at most every LIVE_REDRAW_S, then its result."""
    from claw_tui.ui.widgets.conversation import LIVE_REDRAW_S

    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(
            app,
            ev.ToolCallStarted(call_id="c1", name="Bash"),
            ev.ToolCallQueued(call_id="c1", name="Bash", input={"command": "pytest"}, summary="Bash: pytest"),
            ev.ToolCallRunning(call_id="c1"),
            ev.ToolCallOutput(call_id="c1", text="collecting\n"),
        )
        block = app.query_one(ToolCallBlock)
        await pilot.pause(LIVE_REDRAW_S * 2)
        assert str(block._body.render()) == "collecting"
        await feed(app, *(ev.ToolCallOutput(call_id="c1", text=f"test {n} passed\n") for n in range(1, 21)))
        await pilot.pause(LIVE_REDRAW_S * 2)
        assert str(block._body.render()).splitlines() == [f"test {n} passed" for n in range(15, 21)], "the latest six"
        await feed(app, ev.ToolCallFinished(call_id="c1", name="Bash", status="done", output="20 passed\n"))
        await pilot.pause()
        assert str(block._body.render()) == "20 passed"


async def test_a_failed_call_shows_its_error_whole_and_an_edit_its_diff():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        error = "\n".join(f"Traceback line {n}" for n in range(12))
        edit = {"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2"}
        await feed(
            app,
            ev.ToolCallStarted(call_id="c1", name="Bash"),
            ev.ToolCallQueued(call_id="c1", name="Bash", input={"command": "pytest"}, summary="Bash: pytest"),
            ev.ToolCallFinished(call_id="c1", name="Bash", status="failed", output=error, is_error=True),
            ev.ToolCallStarted(call_id="c2", name="Edit"),
            ev.ToolCallQueued(call_id="c2", name="Edit", input=edit, summary="Edit a.py"),
            ev.FileChanged(call_id="c2", path="a.py", before="x = 1\ny = 0\n", after="x = 2\ny = 0\n"),
            ev.ToolCallFinished(call_id="c2", name="Edit", status="done", output="Edited a.py\nThe user rejected hunk 2 "
                                "of a.py (line 2); those lines were not changed.", metadata={"partly_applied": True}),
        )
        await pilot.pause()
        failed, edited = app.query(ToolCallBlock)
        assert str(failed._body.render()) == error
        assert str(edited._body.render()).splitlines()[:2] == ["- x = 1", "+ x = 2"]
        assert str(edited.title) == "◐ Edit a.py (1 of 2 hunks applied)" and edited.has_class("-partial")


async def test_one_line_past_the_preview_is_shown_rather_than_counted():
    """An edit whose last line is the one past the preview shows it, not "… 1 more lines" in its place."""
    from claw_tui.ui.widgets.tool_preview import PREVIEW_LINES

    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        output = "\n".join(f"line {n}" for n in range(PREVIEW_LINES + 1))
        await feed(
            app,
            ev.ToolCallStarted(call_id="c1", name="Bash"),
            ev.ToolCallQueued(call_id="c1", name="Bash", input={"command": "seq"}, summary="Bash: seq"),
            ev.ToolCallFinished(call_id="c1", name="Bash", status="done", output=output),
        )
        await pilot.pause()
        assert str(app.query_one(ToolCallBlock)._body.render()) == output


async def test_a_retry_that_discards_the_partial_reply_removes_its_block():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(app, ev.TurnStarted(turn_id="t", model="m"), ev.TextDelta(text="partial rep"))
        await pilot.pause()
        await feed(
            app,
            ev.Retrying(attempt=1, max_attempts=3, delay_s=1, reason="overloaded", discard_partial=True),
            ev.TextDelta(text="full reply"),
        )
        await pilot.pause()
        blocks = list(app.query(AssistantText))
        assert [b.source for b in blocks] == ["full reply"]
        notes = [str(n.render()) for n in app.query(NoteBlock)]
        assert notes == ["Retrying (1/3) in 1 s: overloaded"]


async def test_errors_and_notices_are_shown_plainly():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)):
        await feed(
            app,
            ev.Notice(text="Sandbox off: bubblewrap missing", level="warning"),
            ev.Error(message="Invalid API key", kind="auth"),
        )
        notes = list(app.query(NoteBlock))
        assert str(notes[0].render()) == "Sandbox off: bubblewrap missing"
        assert notes[0].has_class("-warning")
        assert str(notes[1].render()) == "Error (auth): Invalid API key"
        assert notes[1].has_class("-error")


async def test_cancelled_turn_stops_the_stream_and_marks_unfinished_tools():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)):
        await feed(
            app,
            ev.ToolCallStarted(call_id="c1", name="Bash"),
            ev.ToolCallQueued(call_id="c1", name="Bash", input={"command": "sleep 9"}, summary="Bash: sleep 9"),
            ev.TextDelta(text="half"),
            ev.TurnFinished(turn_id="t", stop_reason="cancelled"),
        )
        assert not app.query_one(AssistantText).streaming
        assert app.query_one(ToolCallBlock).status == "cancelled"
        assert str(list(app.query(NoteBlock))[-1].render()) == "Interrupted · What should claw do instead?"


async def test_subagent_events_stay_out_of_the_conversation():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)):
        await feed(app, ev.TextDelta(text="from a subagent", agent_id="call_9"))
        assert not app.query(AssistantText)


def note_texts(app: ConversationApp) -> list[str]:
    return [str(n.render()) for n in app.query(NoteBlock)]


async def test_old_blocks_are_unmounted_past_the_high_water_mark_and_come_back_on_scroll_up():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conversation = app.conversation
        conversation.HIGH_WATER, conversation.LOW_WATER, conversation.PAGE = 20, 10, 5
        for n in range(25):
            await conversation.add_note(f"note {n}")
        await feed(
            app,
            ev.TurnStarted(turn_id="t", model="m"),
            ev.ToolCallStarted(call_id="c1", name="Read"),
            ev.ToolCallQueued(call_id="c1", name="Read", input={"file_path": "a.py"}, summary="Read a.py"),
            ev.ToolCallFinished(call_id="c1", name="Read", status="done", output="1\tx = 1"),
            ev.TextDelta(text="**answer** 1"),
            completed("**answer** 1"),
            ev.TurnFinished(turn_id="t", stop_reason="end_turn"),
        )
        for n in range(25, 35):
            await conversation.add_note(f"note {n}")
        await pilot.pause()
        assert len(conversation.blocks) <= 20, "the DOM stays bounded"
        assert note_texts(app)[-1] == "note 34", "the newest blocks stay"
        assert "note 0" not in note_texts(app)
        hidden = conversation.unmounted
        assert hidden > 0
        assert str(conversation._marker.render()) == f"▲ {hidden} earlier blocks: scroll up or click to show them"

        # Scrolling to the top mounts the previous page above, in order, without moving the view.
        first = conversation.blocks[0]
        conversation.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        await pilot.pause()
        assert conversation.unmounted == hidden - 5
        shown = note_texts(app)
        assert shown == sorted(shown, key=lambda t: int(t.split()[1])), "blocks keep their order"
        assert conversation.blocks[5] is first
        assert conversation.scroll_y > 0, "the view stays on what the user was reading"

        # Page after page, down to the very first note; the tool call and the answer come back as they were.
        while conversation.unmounted:
            conversation.scroll_to(y=0, animate=False, immediate=True)
            await pilot.pause()
            await pilot.pause()
        assert not conversation._marker.display
        assert note_texts(app)[0] == "note 0"
        tool = app.query_one(ToolCallBlock)
        assert (tool.status, tool.summary, tool.output) == ("done", "Read a.py", "1\tx = 1")
        assert app.query_one(AssistantText).source == "**answer** 1"


async def test_a_click_on_the_marker_mounts_the_previous_page():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conversation = app.conversation
        conversation.HIGH_WATER, conversation.LOW_WATER, conversation.PAGE = 8, 4, 3
        for n in range(9):
            await conversation.add_note(f"note {n}")
        await pilot.pause()
        assert note_texts(app) == ["note 5", "note 6", "note 7", "note 8"]
        await pilot.click("PrunedMarker")
        await pilot.pause()
        assert note_texts(app) == [f"note {n}" for n in range(2, 9)]
        assert str(conversation._marker.render()) == "▲ 2 earlier blocks: scroll up or click to show them"


async def test_remounting_stops_at_the_hard_cap():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conversation = app.conversation
        conversation.HIGH_WATER, conversation.LOW_WATER, conversation.PAGE = 20, 10, 10
        conversation.MAX_MOUNTED = 25
        for n in range(60):
            await conversation.add_note(f"note {n}")
        await conversation.restore_earlier()
        await conversation.restore_earlier()
        await pilot.pause()
        assert len(conversation.blocks) == 25
        assert "are not shown here (the session keeps them)" in str(conversation._marker.render())


async def test_streaming_follows_the_bottom_but_never_steals_a_scrolled_up_view():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conversation = app.conversation
        for n in range(40):
            await conversation.add_note(f"line {n}")
        await pilot.pause()
        assert conversation.scroll_y == conversation.max_scroll_y, "anchored at the bottom"
        conversation.scroll_to(y=0, animate=False)  # the user scrolls up
        await pilot.pause()
        await feed(app, ev.TextDelta(text="new text\n\n" * 5))
        await pilot.pause()
        assert conversation.scroll_y == 0, "the user's position is kept while streaming"
        conversation.scroll_end(animate=False)  # back to the bottom: following resumes
        await pilot.pause()
        await feed(app, ev.TextDelta(text="more\n\n" * 5))
        await pilot.pause()
        await pilot.pause()
        assert conversation.scroll_y == conversation.max_scroll_y



def test_long_tool_output_is_clipped_for_display_and_says_how_much_is_hidden():
    from claw_tui.ui.widgets.conversation import clip

    assert clip("a\nb\n") == "a\nb"
    assert clip("\n".join(str(n) for n in range(100)), max_lines=3) == "0\n1\n2\n… 97 more lines"
    assert clip("x" * 50, max_chars=10) == "x" * 10 + "\n… 40 more characters"


async def test_a_long_code_block_streams_plain_and_ends_highlighted():
    app = ConversationApp()
    async with app.run_test(size=(80, 24)) as pilot:
        code = "".join(f"def f{n}(x):\n    return x\n" for n in range(100))
        await feed(app, ev.TurnStarted(turn_id="t", model="m"), ev.TextDelta(text="```python\n" + code))
        block = app.query_one(AssistantText)
        await written(block)

        def colours(word: str) -> set[object]:
            return {seg.style.color for line in block._lines for seg in line if seg.text.strip() == word and seg.style}

        assert colours("def") == colours("x"), "while it streams, a long block is not highlighted"
        # Drawn again between two deltas, nothing pending (a resize here; a layout pass under load): still plain.
        drawn_at = block._width
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        assert block._width > drawn_at and colours("def") == colours("x"), "between deltas the answer still streams"
        await feed(app, ev.TextDelta(text="```\n\nThat is all.\n\nMore after it."))
        await written(block)  # the block is finished while the answer still streams
        await feed(app, completed("…"))
        for _ in range(200):  # highlighted once the answer ends, in a refresh of its own (later under load)
            await pilot.pause(0.02)
            if colours("def").isdisjoint(colours("x")):
                break
        assert colours("def").isdisjoint(colours("x")), "once done, it is"
