"""Sessions in the app: resume, continue, the browser, fork, undo, rewind and export.

A real Agent (the app's default factory, so the app's own SessionStore in the test's data
directory) talks to the fake model server over the real SDK; every session is stored, and a
second ClawApp started with `resume=` reads it back.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_model import Reply, Text, Thinking, ToolCall
from keyboard import type_text
from recorded_turns import settle

from claw_tui.config import user_data_dir
from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, interruption, tool_result, user_text
from claw_tui.engine.sessions import SessionStore
from claw_tui.ui.replay import SummaryBlock
from claw_tui.ui.screens.main import MainScreen
from claw_tui.ui.screens.rewind import RewindPicker
from claw_tui.ui.screens.sessions import PreviewList, SessionBrowser
from claw_tui.ui.widgets.conversation import (
    AssistantText,
    Greeting,
    NoteBlock,
    ThinkingBlock,
    ToolCallBlock,
    UserPrompt,
)

ORIGINAL = "def greet():\n    return 'hi'\n"
EDITED = "def greet():\n    return 'hello'\n"


@pytest.fixture
def project(project: Path) -> Path:
    """The shared empty project, with a file to edit."""
    (project / "greet.py").write_text(ORIGINAL)
    return project



def edit_turn() -> list[Reply]:
    """Plan a task, read the file, edit it, answer: one prompt, four model calls."""
    return [
        Reply(
            parts=[
                Thinking("A one-word change; track it as a task."),
                Text("I'll track this."),
                ToolCall("TaskCreate", {"subject": "Say hello", "description": "greet() says hello"}),
            ]
        ),
        Reply(parts=[ToolCall("Read", {"file_path": "greet.py"})]),
        Reply(
            parts=[
                ToolCall("TaskUpdate", {"taskId": "1", "status": "completed"}),
                ToolCall("Edit", {"file_path": "greet.py", "old_string": "'hi'", "new_string": "'hello'"}),
            ]
        ),
        Reply(parts=[Text("Done: `greet()` now says **hello**.")]),
    ]


def texts(screen: MainScreen, kind: type) -> list[str]:
    if kind is UserPrompt:
        return [b.text for b in screen.query(UserPrompt)]
    if kind is AssistantText:
        return [b.source for b in screen.query(AssistantText)]
    return [str(b.render()) for b in screen.query(NoteBlock)]


async def prompt(pilot, text: str) -> None:
    await type_text(pilot, text, "enter")
    await settle(pilot)


async def test_a_resumed_session_shows_an_interruption_as_it_was_and_the_prompt_typed_after_it(project, app_for):
    """The stored markers of two stopped turns (one while a command ran), each followed by the next
    prompt: resumed, the conversation shows "Interrupted" and those prompts. The loaded transcript
    merges a marker with the prompt after it, and the marker showed as the prompt typed, the prompt not."""
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        session_id = store.create_session(project, "anthropic/claude-sonnet-4-6")
        for message in (
            user_text("slow please"),
            Message(role="assistant", content=[TextBlock(text="Slow answer: word0 word1")]),
            interruption(during_tool_use=False),
            user_text("second prompt after interrupt"),
            Message(role="assistant", content=[ToolUseBlock(id="toolu_1", name="Bash", input={"command": "sleep 15"})]),
            Message(role="user", content=[tool_result("toolu_1", "Cancelled by the user.", is_error=True)]),
            interruption(during_tool_use=True),
            user_text("third prompt after bash interrupt"),
            Message(role="assistant", content=[TextBlock(text="Done.")]),
        ):
            store.append_message(session_id, message)
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert texts(screen, UserPrompt) == ["slow please", "second prompt after interrupt", "third prompt after bash interrupt"]
        assert texts(screen, NoteBlock).count("Interrupted · What should claw do instead?") == 2


async def run_edit_session(app_for, fake_model) -> str:
    """A stored session whose one turn edited greet.py; returns its id."""
    fake_model.script(*edit_turn())
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "make greet say hello")
        assert app.agent is not None and app.agent.session_id
        return app.agent.session_id


async def test_a_resumed_session_shows_its_conversation_cost_and_tasks(project, fake_model, app_for):
    session_id = await run_edit_session(app_for, fake_model)
    assert (project / "greet.py").read_text() == EDITED
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        usage = store.usage(session_id)
        stored = len(store.messages(session_id))
    assert len(usage) == 4 and stored == 8

    app = app_for(resume=session_id[:6])
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert app.agent.session_id == session_id and len(app.agent.transcript) == stored
        assert texts(screen, UserPrompt) == ["make greet say hello"]
        assert texts(screen, AssistantText) == ["I'll track this.", "Done: `greet()` now says **hello**."]
        thinking = screen.query_one(ThinkingBlock)
        assert thinking.collapsed and thinking.text == "A one-word change; track it as a task."
        calls = {b.tool_name: b for b in screen.query(ToolCallBlock)}
        assert list(calls) == ["TaskCreate", "Read", "TaskUpdate", "Edit"]
        assert all(b.status == "done" for b in calls.values())
        assert str(calls["Read"].title).endswith("greet.py") and "'hi'" in (calls["Read"].output or "")
        # The tool log has every call with its input and output.
        records = list(screen.tool_log.calls.values())
        assert [(r.name, r.status) for r in records] == [(n, "done") for n in calls]
        assert records[3].input == {"file_path": "greet.py", "old_string": "'hi'", "new_string": "'hello'"}
        # The cost meter adds up what the store recorded, with one bar for the one turn.
        meter = screen.cost_meter
        assert meter.input_tokens == sum(u.input_tokens for u in usage) > 0
        assert meter.output_tokens == sum(u.output_tokens for u in usage)
        assert meter.cost_usd == pytest.approx(sum(u.cost_usd or 0 for u in usage)) and meter.cost_usd > 0
        assert len(meter.turn_costs) == 1 and screen.usage.calls == 4
        # The task graph is the one the session ended with; the diff pane shows the last change.
        assert [(t.subject, t.status) for t in screen.task_pane.tasks.values()] == [("Say hello", "completed")]
        assert [d.path for d in screen.diff_view.changes] == ["greet.py"] and screen.diff_view.title == "Last change"
        assert screen.session_changes == {"greet.py": (ORIGINAL, EDITED)}
        assert texts(screen, NoteBlock)[-1] == f"Resumed “make greet say hello” (8 messages) · session {session_id}"

        # The conversation goes on in the same stored session.
        fake_model.script(Reply(parts=[Text("Still hello.")]))
        await prompt(pilot, "and now?")
        assert texts(screen, AssistantText)[-1] == "Still hello."
        sent = fake_model.requests[-1].json["messages"]
        assert sent[0]["content"][0]["text"] == "make greet say hello", "the model sees the resumed history"
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        assert len(store.messages(session_id)) == 10


async def test_undo_restores_the_file_of_the_last_turn(project, fake_model, app_for):
    session_id = await run_edit_session(app_for, fake_model)
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await prompt(pilot, "/undo")
        assert (project / "greet.py").read_text() == ORIGINAL
        screen = app.main_screen
        assert texts(screen, NoteBlock)[-1] == "Undo: Restored greet.py"
        assert screen.diff_view.title == "Undone (1 file)"
        undone = screen.diff_view.changes[0]
        assert (undone.path, undone.added_count, undone.removed_count) == ("greet.py", 1, 1)
        assert screen.session_changes == {}, "the file is back to how the session found it"
        await prompt(pilot, "/undo")
        assert texts(screen, NoteBlock)[-1] == "Undo: No file changes to undo."
        fake_model.script(Reply(parts=[Text("Noted.")]))
        await prompt(pilot, "what now?")
        told = fake_model.requests[-1].json["messages"][-1]["content"]
        assert "The user undid the file changes of the last turn (Restored greet.py)" in told[0]["text"]
        assert told[-1]["text"] == "what now?" and len(told) == 2, "told once, with the next prompt"


async def test_undo_leaves_a_file_the_user_changed_since(project, fake_model, app_for):
    await run_edit_session(app_for, fake_model)
    (project / "greet.py").write_text("mine\n")
    app = app_for(continue_=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await prompt(pilot, "/undo")
        assert (project / "greet.py").read_text() == "mine\n"
        note = app.main_screen.query(NoteBlock).last()
        assert str(note.render()) == "Undo: Skipped greet.py: it was changed after claw wrote it; left as it is"
        assert note.has_class("-warning")


async def test_rewind_to_the_first_prompt_restores_files_and_transcript(project, fake_model, app_for):
    fake_model.script(*edit_turn(), Reply(parts=[Text("Nothing else to change.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "make greet say hello")
        await prompt(pilot, "anything else?")
        agent = app.agent
        session_id = agent.session_id
        assert (project / "greet.py").read_text() == EDITED and len(agent.transcript) == 10
        await type_text(pilot, "/rewind", "enter")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, RewindPicker) and picker.prompts == [0, 8]
        await pilot.press("up", "enter")  # the latest prompt is highlighted; up is the first
        await settle(pilot)
        screen = app.main_screen
        assert app.screen is screen
        assert (project / "greet.py").read_text() == ORIGINAL
        assert agent.transcript == [] and agent.session_id == session_id
        assert agent.store.messages(session_id) == []
        assert not screen.query(UserPrompt) and not screen.query(ToolCallBlock)
        assert not screen.tool_log.calls
        spent = sum(u.cost_usd or 0 for u in agent.store.usage(session_id))
        assert spent > 0 and screen.cost_meter.cost_usd == pytest.approx(spent), "money spent stays spent"
        assert texts(screen, NoteBlock)[-1] == "Rewound to before that prompt.\nRestored greet.py"
        assert screen.prompt.text == "make greet say hello", "the prompt is back in the box"
        # Going on from there works, in the same session.
        fake_model.script(Reply(parts=[Text("Fresh start.")]))
        await pilot.press("enter")
        await settle(pilot)
        assert texts(screen, AssistantText) == ["Fresh start."]
        assert [m.role for m in agent.store.messages(session_id)] == ["user", "assistant"]


async def test_rewind_to_the_second_prompt_keeps_the_first_turn(project, fake_model, app_for):
    fake_model.script(*edit_turn(), Reply(parts=[Text("Nothing else to change.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "make greet say hello")
        await prompt(pilot, "anything else?")
        await type_text(pilot, "/rewind", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.main_screen
        assert (project / "greet.py").read_text() == EDITED, "the first turn's edit stays"
        assert len(app.agent.transcript) == 8
        assert texts(screen, UserPrompt) == ["make greet say hello"]
        assert len(screen.tool_log.calls) == 4 and screen.cost_meter.cost_usd > 0
        assert texts(screen, NoteBlock)[-1] == "Rewound to before that prompt.\nNo file had changed since then."
        assert screen.prompt.text == "anything else?"


async def test_sessions_browser_forks_into_a_new_session(project, fake_model, app_for):
    fake_model.script(*edit_turn(), Reply(parts=[Text("Nothing else to change.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "make greet say hello")
        await prompt(pilot, "anything else?")
        original = app.agent.session_id
        await type_text(pilot, "/sessions", "enter")
        await settle(pilot)
        browser = app.screen
        assert isinstance(browser, SessionBrowser) and browser.current_session == original
        assert [s.id for s in browser.sessions] == [original]
        await pilot.press("f")  # fork: pick the last message to keep in the preview
        await settle(pilot)
        preview = browser.query_one(PreviewList)
        preview.highlighted = preview.get_option_index("7")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.main_screen
        assert app.screen is screen
        fork = app.agent.session_id
        assert fork != original
        store = app.agent.store
        assert store.get(fork).parent_id == original
        assert [m.id for m in store.messages(fork)] == [m.id for m in store.messages(original)[:8]]
        assert len(app.agent.transcript) == 8
        assert texts(screen, UserPrompt) == ["make greet say hello"]
        assert texts(screen, NoteBlock)[-1].startswith(
            "Forked at message 8: “make greet say hello (fork)” (8 messages)"
        )
        # The fork goes on by itself; the original keeps its ten messages.
        fake_model.script(Reply(parts=[Text("In the fork.")]))
        await prompt(pilot, "fork prompt")
        assert len(store.messages(fork)) == 10 and store.messages(fork)[8].text == "fork prompt"
        assert len(store.messages(original)) == 10 and store.messages(original)[8].text == "anything else?"


async def test_resume_with_an_id_and_the_browser_resume_load_the_session_in_place(project, fake_model, app_for):
    first = await run_edit_session(app_for, fake_model)
    fake_model.script(Reply(parts=[Text("Hi there.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "just hi")
        second = app.agent.session_id
        screen = app.main_screen
        await prompt(pilot, f"/resume {first[:7]}")
        assert app.agent.session_id == first and app.main_screen is screen
        assert texts(screen, UserPrompt) == ["make greet say hello"], "the panes were cleared first"
        assert [r.name for r in screen.tool_log.calls.values()] == ["TaskCreate", "Read", "TaskUpdate", "Edit"]
        assert [t.subject for t in screen.task_pane.tasks.values()] == ["Say hello"]
        # Back to the second (the newest, on top) from the browser: Enter resumes the highlighted row.
        await type_text(pilot, "/resume", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser) and app.screen.current_session == first
        await pilot.press("enter")
        await settle(pilot)
        assert app.agent.session_id == second
        assert texts(screen, UserPrompt) == ["just hi"] and texts(screen, AssistantText) == ["Hi there."]
        assert not screen.task_pane.tasks and not screen.tool_log.calls, "the second session had no tasks or tools"
        await type_text(pilot, "/sessions", "enter")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.agent.session_id == first
        assert texts(screen, UserPrompt) == ["make greet say hello"]
        await prompt(pilot, "/resume zzzz")
        assert texts(screen, NoteBlock)[-1] == "/resume: No session matches 'zzzz'. /sessions lists them."
        assert app.agent.session_id == first


async def test_export_writes_markdown_where_the_note_says(project, fake_model, app_for):
    session_id = await run_edit_session(app_for, fake_model)
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await prompt(pilot, "/export")
        default = project / f"claw-session-{session_id[:8]}.md"
        assert texts(app.main_screen, NoteBlock)[-1] == f"Exported the session to {default}"
        markdown = default.read_text()
        assert markdown.startswith("# make greet say hello\n")
        assert "## User\n\nmake greet say hello" in markdown and "Tool call: Edit — greet.py" in markdown
        await prompt(pilot, "/export out/session.jsonl")
        assert (
            texts(app.main_screen, NoteBlock)[-1]
            == "/export: cannot write " + str(project / "out" / "session.jsonl") + ": No such file or directory."
        )
        (project / "out").mkdir()
        await prompt(pilot, "/export out/session.jsonl")
        lines = [json.loads(line) for line in (project / "out" / "session.jsonl").read_text().splitlines()]
        assert lines[0]["type"] == "claw_session" and len(lines) > 8  # a header, then messages, events, usage


async def test_continue_picks_the_latest_session_of_this_folder(project, fake_model, app_for, isolated_home):
    older = await run_edit_session(app_for, fake_model)
    fake_model.script(Reply(parts=[Text("Second answer.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await prompt(pilot, "second session")
        newer = app.agent.session_id
    elsewhere = isolated_home / "elsewhere"
    elsewhere.mkdir()
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        store.import_session(elsewhere, [user_text("in another folder")])  # newest, but not here
    assert newer != older
    app = app_for(continue_=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.agent.session_id == newer
        assert texts(app.main_screen, UserPrompt) == ["second session"]
        assert texts(app.main_screen, AssistantText) == ["Second answer."]


async def test_continue_with_no_session_here_and_an_unknown_id_start_a_new_session(project, app_for):
    app = app_for(continue_=True)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.agent.session_id is None
        note = app.main_screen.query(NoteBlock).last()
        assert str(note.render()) == f"No earlier session in {project} to continue; this is a new one."
        assert note.has_class("-warning")
    app = app_for(resume="zzzz9")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.agent.session_id is None
        note = app.main_screen.query(NoteBlock).last()
        assert note.has_class("-error")
        assert str(note.render()) == (
            "Cannot resume: No session matches 'zzzz9'. This is a new session; /sessions lists the others."
        )


async def test_clear_starts_a_new_stored_session_and_keeps_the_old_one(project, fake_model, app_for):
    fake_model.script(Reply(parts=[Text("One.")]), Reply(parts=[Text("Two.")]))
    app = app_for()
    async with app.run_test() as pilot:
        await prompt(pilot, "first")
        first = app.agent.session_id
        screen = app.main_screen
        assert screen.cost_meter.cost_usd > 0
        await prompt(pilot, "/clear")
        assert screen.cost_meter.cost_usd == 0 and screen.usage.calls == 0 and app.agent.total_cost_usd == 0
        assert texts(screen, AssistantText) == [] and not screen.tool_log.calls, "the old session's panes are gone"
        await prompt(pilot, "second")
        second = app.agent.session_id
        store = app.agent.store
        assert first and second and first != second
        assert [m.text for m in store.messages(first)] == ["first", "One."]
        assert [m.text for m in store.messages(second)] == ["second", "Two."]


async def test_open_browser_starts_with_the_browser_and_escape_leaves_a_new_session(project, fake_model, app_for):
    session_id = await run_edit_session(app_for, fake_model)
    app = app_for(open_browser=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
        assert [s.id for s in app.screen.sessions] == [session_id] and app.screen.current_session is None
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.agent.session_id is None
    app = app_for(open_browser=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.agent.session_id == session_id
        assert texts(app.main_screen, UserPrompt) == ["make greet say hello"]


async def test_a_damaged_database_leaves_a_working_app_without_sessions(project, fake_model, app_for):
    data = user_data_dir()
    data.mkdir(parents=True, exist_ok=True)
    (data / "sessions.db").write_bytes(b"this is not a database, just some bytes " * 200)
    fake_model.script(Reply(parts=[Text("Still answering.")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.store is None and app.agent.store is None
        shown = [n.message for n in app._notifications]
        assert any(
            m.startswith("Sessions are not saved this time: The session database") and "damaged" in m for m in shown
        )
        await prompt(pilot, "hello")
        assert texts(app.main_screen, AssistantText) == ["Still answering."]
        await prompt(pilot, "/sessions")
        assert texts(app.main_screen, NoteBlock)[-1] == "/sessions: sessions are not being saved in this run of claw."


async def test_a_compacted_session_shows_the_boundary_and_the_summary_once(project, app_for):
    """The messages a compaction kept are stored again after its summary; they are drawn once."""
    ask, answer = user_text("old question"), Message(role="assistant", content=[TextBlock(text="old answer")])
    recent_q, recent_a = (
        user_text("recent question"),
        Message(role="assistant", content=[TextBlock(text="recent answer")]),
    )
    summary = Message(
        role="user", content=[TextBlock(text="The user asked an old question.")], is_compaction_summary=True
    )
    messages = [
        ask,
        answer,
        recent_q,
        recent_a,
        summary,
        recent_q.model_copy(update={"id": "msg_q2"}),
        recent_a.model_copy(update={"id": "msg_a2"}),
    ]
    compacted = {
        "type": "compacted",
        "summary_message_id": summary.id,
        "summary": summary.text,
        "trigger": "manual",
        "tokens_before": 50_000,
        "tokens_after": 4_000,
        "kept_messages": 2,
    }
    edited = {"type": "summary_edited", "message_id": summary.id, "text": "Edited: an old question was asked."}
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        session_id = store.import_session(project, messages, events=[(5, compacted), (7, edited)])
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert texts(screen, UserPrompt) == ["old question", "recent question"]
        assert texts(screen, AssistantText) == ["old answer", "recent answer"]
        assert "Conversation compacted (manual): 50,000 → 4,000 tokens, 2 recent messages kept." in texts(
            screen, NoteBlock
        )
        block = screen.query_one(SummaryBlock)
        assert block.collapsed and block.summary == "Edited: an old question was asked."
        assert [m.text for m in app.agent.transcript] == [block.summary, "recent question", "recent answer"]


async def test_a_long_session_mounts_one_page_and_scrolling_up_brings_back_more(project, app_for):
    messages = []
    for i in range(300):
        messages += [user_text(f"question {i}"), Message(role="assistant", content=[TextBlock(text=f"answer {i}")])]
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        session_id = store.import_session(project, messages)
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        conversation = app.main_screen.conversation
        greeting, *_, resumed = conversation.blocks
        assert isinstance(greeting, Greeting) and "Resumed" in str(resumed.render())
        mounted = len(conversation.blocks) - 2
        # About a screenful of the 600 history blocks is mounted; the rest wait as recipes.
        assert 24 <= mounted < 48 and conversation.unmounted == 600 - mounted
        assert conversation.max_scroll_y > 0, "enough to scroll up with"
        assert texts(app.main_screen, AssistantText)[-1] == "answer 299"
        await conversation.restore_earlier()  # what scrolling to the top does
        await pilot.pause()
        page = conversation.PAGE
        assert conversation.unmounted == 600 - mounted - page
        assert texts(app.main_screen, UserPrompt)[0] == f"question {300 - (mounted + page) // 2}"
        assert conversation.blocks[0] is greeting, "the earlier page goes under the greeting"


def in_terminal(args: list[str], cwd: Path, until: str) -> tuple[int, str]:
    """Run claw with a pseudo-terminal; once `until` is on screen press Ctrl+Q. Returns (exit code, text shown)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "claw_tui", *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd)
    os.close(slave)
    out, quitting = b"", False
    give_up = time.monotonic() + 60  # a safety net: the app keeps drawing (the cursor blinks) until it quits
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 5)
            if time.monotonic() > give_up:
                proc.kill()
                what = "did not quit" if quitting else f"never showed {until!r}"
                pytest.fail(f"claw {what}; the screen: {out.decode(errors='replace')[-3000:]}")
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: claw closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not quitting and until.encode() in out:
                os.write(master, b"\x11")
                quitting = True
    finally:
        os.close(master)
        code = proc.wait(timeout=60)
    return code, re.sub(r"\x1b\[[0-9;?<>=$]*[a-zA-Z]", "", out.decode(errors="replace"))  # the text, no escapes


def test_claw_sessions_and_bare_resume_open_the_browser_in_a_terminal(project, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        store.import_session(project, [user_text("Tidy the parser module")])
    for args in (["sessions"], ["--resume"]):
        code, out = in_terminal(args, project, until="Tidy the parser module")
        assert code == 0 and "Traceback" not in out
        assert "1 session." in out and "f fork" in out, out  # the browser's status line and keys


def test_claw_resume_with_an_unknown_id_says_so_in_the_app(project, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    code, out = in_terminal(["--resume", "zzzz9"], project, until="No session matches")
    assert code == 0 and "Traceback" not in out


async def test_a_damaged_message_is_skipped_and_named_when_the_app_resumes(project, app_for):
    import sqlite3

    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        session_id = store.import_session(
            project,
            [user_text("first question"), Message(role="assistant", content=[TextBlock(text="first answer")]),
             user_text("second question"), Message(role="assistant", content=[TextBlock(text="second answer")])],
        )
    with sqlite3.connect(user_data_dir() / "sessions.db") as conn:
        conn.execute("UPDATE messages SET data = '{\"role\": \"us' WHERE session_id = ? AND idx = 2", (session_id,))
    app = app_for(resume=session_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert texts(screen, UserPrompt) == ["first question"]
        assert texts(screen, AssistantText) == ["first answer", "second answer"]
        notes = texts(screen, NoteBlock)
        assert sum("message 3" in n and "damaged" in n for n in notes) == 1


async def test_a_session_open_in_another_claw_is_not_resumed_and_the_choices_are_named(project, app_for):
    from claw_tui.engine.session_lock import SessionLock

    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        session_id = store.import_session(project, [user_text("held elsewhere")])
    other = SessionLock.acquire(user_data_dir(), session_id)  # another writer has it
    try:
        app = app_for(resume=session_id)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            assert app.agent.session_id != session_id
            note = texts(app.main_screen, NoteBlock)[-1]
            assert "open in another claw" in note and "read-only" in note and "fork" in note
    finally:
        other.release()


async def test_bang_shows_a_secret_raw_on_screen_only(project, fake_model, app_for):
    """The documented way to see what redaction hides: `!cmd` output is the user's, on screen, never stored or sent."""
    from claw_tui.ui.widgets.conversation import ShellBlock

    secret = "Zq8" + "w-4Lr9" + "Tk2p"
    (project / ".env").write_text(f"DB_PASSWORD={secret}\n")
    fake_model.script(Reply(parts=[Text("noted")]))
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_text(pilot, "!cat .env", "enter")
        await settle(pilot)
        assert secret in str(app.main_screen.query_one(ShellBlock).output.render())
        await prompt(pilot, "hello")
        assert texts(app.main_screen, AssistantText) == ["noted"]
    assert secret not in "".join(r.body.decode() for r in fake_model.requests)
    assert secret.encode() not in b"".join(p.read_bytes() for p in user_data_dir().glob("sessions.db*"))
