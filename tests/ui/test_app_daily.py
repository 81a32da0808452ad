"""The first ten minutes of a Claude Code or Codex user: each stumble they met, driven with the real app."""

from __future__ import annotations

import importlib.abc
import sys
import threading

import pytest
from fake_model import Reply, Text, ToolCall
from keyboard import type_text
from recorded_turns import settle
from textual import events

from claw_tui.ui.widgets.conversation import AssistantText, NoteBlock

REGISTRY = "claw_tui.providers.registry"


class SlowImport(importlib.abc.MetaPathFinder):
    """Holds the import of one module inside its execution (the module already in sys.modules,
    still empty) until `release` is set: a background import caught in the middle."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = threading.Event()
        self.release = threading.Event()

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # the real finder now
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        loader, finder = spec.loader, self

        class Held(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                finder.started.set()
                finder.release.wait(30)
                loader.exec_module(module)

        spec.loader = Held()
        return spec


async def test_the_first_prompt_waits_for_a_background_import_in_progress(project, fake_model, app_for, monkeypatch):
    """The provider registry is still being imported on its thread when the first prompt is sent:
    the turn waits for the import instead of taking the half-made module."""
    from claw_tui.core import background_imports

    fake_model.script(Reply(parts=[Text("Hello there.")]))
    slow = SlowImport(REGISTRY)
    monkeypatch.delitem(sys.modules, REGISTRY, raising=False)  # as in a fresh process: not imported yet
    monkeypatch.setattr(background_imports, "_imports", {})
    monkeypatch.setattr(sys, "meta_path", [slow, *sys.meta_path])
    app = app_for()
    async with app.run_test() as pilot:
        while not slow.started.is_set():  # the background import is under way, and held
            await pilot.pause(0.01)
        await type_text(pilot, "hi", "enter")
        for _ in range(5):
            await pilot.pause()
        slow.release.set()
        await settle(pilot)
        screen = app.main_screen
        assert not screen.query(NoteBlock).filter(".-error"), [str(n.render()) for n in screen.query(NoteBlock)]
        assert [b.source for b in screen.query(AssistantText)] == ["Hello there."]


def sent_text(request) -> str:
    """Every text the model got in a request's last user message."""
    content = request.json["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


async def test_a_paste_with_carriage_returns_reaches_the_model_as_lines(project, fake_model, app_for):
    """Terminals paste with CR line ends: the placeholder counts the lines and the model gets LF."""
    fake_model.script(Reply(parts=[Text("Got the log.")]))
    pasted = "\r".join(f"log line {n}" for n in range(62))
    app = app_for()
    async with app.run_test() as pilot:
        prompt = app.main_screen.prompt
        await type_text(pilot, "what failed? ")
        prompt.post_message(events.Paste(pasted))
        await pilot.pause()
        assert prompt.text == "what failed? [Pasted text #1 +62 lines]"
        await pilot.press("enter")
        await settle(pilot)
    text = sent_text(fake_model.requests[-1])
    assert "what failed? log line 0\nlog line 1\n" in text and text.count("\n") >= 61 and "\r" not in text


async def test_the_model_picker_takes_an_id_typed_in_full(project, fake_model, app_for):
    """`openai/gpt-5` + Enter is gpt-5, not the first id containing it (gpt-5.5, at four times the price)."""
    from claw_tui.ui.screens.model_picker import ModelPickerScreen

    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "/model", "enter")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ModelPickerScreen)
        assert {"openai/gpt-5", "openai/gpt-5.5"} <= {c.id for c in picker.choices}
        await type_text(pilot, "openai/gpt-5")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.agent.model == "openai/gpt-5"
        assert app.main_screen.status.model == "openai/gpt-5"


async def test_ask_user_question_is_answered_from_the_keyboard(project, fake_model, app_for):
    """The model's two questions, one multiple choice: each answered with keys, both reach the model."""
    from claw_tui.ui.screens.question import QuestionScreen

    questions = [
        {"question": "Which database?", "header": "Database", "options": [
            {"label": "SQLite", "description": "one file"}, {"label": "Postgres", "description": "a server"}]},
        {"question": "Which checks?", "header": "Checks", "multiSelect": True, "options": [
            {"label": "ruff", "description": "lint"}, {"label": "mypy", "description": "types"},
            {"label": "pytest", "description": "tests"}]},
    ]
    fake_model.script(
        Reply(parts=[ToolCall("AskUserQuestion", {"questions": questions})]),
        Reply(parts=[Text("Postgres it is.")]),
    )
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "set it up", "enter")
        while not isinstance(app.screen, QuestionScreen):
            await pilot.pause(0.02)
        await pilot.press("2", "enter")  # Postgres
        await pilot.pause()
        await pilot.press("space", "down", "down", "space", "enter")  # ruff and pytest
        await settle(pilot)
        assert not isinstance(app.screen, QuestionScreen)
        result = fake_model.requests[-1].json["messages"][-1]["content"][0]
        assert result["type"] == "tool_result" and not result.get("is_error")
        assert '"Which database?"="Postgres"' in str(result["content"])
        assert '"Which checks?"="ruff, pytest"' in str(result["content"])
        assert [b.source for b in app.main_screen.query(AssistantText)][-1] == "Postgres it is."


async def test_a_local_model_picked_from_a_discovered_server_is_reached_at_that_server(project, fake_model, app_for):
    """The picker found a server on another port than Ollama's: the prompt goes there, not to :11434."""
    from claw_tui.providers.registry import discover_local_servers

    async def discover():
        return await discover_local_servers(ports=(fake_model.port,), env={}, timeout=10)

    fake_model.script(Reply(parts=[Text("Local answer.")]))
    app = app_for(discover_local=discover)
    async with app.run_test() as pilot:
        await type_text(pilot, "/model", "enter")
        await settle(pilot)
        await type_text(pilot, "local/qwen3-coder", "enter")
        await pilot.pause()
        assert app.agent.model == "local/qwen3-coder"
        await type_text(pilot, "hi", "enter")
        await settle(pilot)
        assert [b.source for b in app.main_screen.query(AssistantText)] == ["Local answer."]
    assert fake_model.requests[-1].path.startswith("/v1/chat/completions")


async def test_claw_c_keeps_the_sessions_model_and_what_it_had_read(project, fake_model, app_for, monkeypatch):
    """`claw -c` after a session on openai/gpt-5 that read hello.py: same model, and the Edit lands at once."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_model.base_url + "/v1")
    (project / "hello.py").write_text("print('hi')\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "hello.py"})]),
        Reply(parts=[Text("It prints hi.")]),
        Reply(parts=[ToolCall("Edit", {"file_path": "hello.py", "old_string": "hi", "new_string": "hello"})]),
        Reply(parts=[Text("Changed.")]),
    )
    app = app_for(model="openai/gpt-5")
    async with app.run_test() as pilot:
        await type_text(pilot, "what does hello.py print?", "enter")
        await settle(pilot)
    again = app_for(continue_=True)
    async with again.run_test() as pilot:
        await settle(pilot)
        assert again.agent.model == "openai/gpt-5" and again.main_screen.status.model == "openai/gpt-5"
        await type_text(pilot, "make it say hello", "enter")
        await settle(pilot)
        notes = [str(n.render()) for n in again.main_screen.query(NoteBlock).filter(".-error")]
        assert not notes, notes
    assert (project / "hello.py").read_text() == "print('hello')\n"
    assert fake_model.requests[-1].path.startswith("/v1/")


SLOW_ANSWER = Reply(parts=[Text("one two three four five six seven eight nine ten " * 6)], token_delay=0.05)


async def stop_mid_stream(pilot, screen) -> None:
    """Send a prompt whose answer streams slowly, and press Ctrl+C once its first words are on screen."""
    await type_text(pilot, "count slowly", "enter")
    while not screen.query(AssistantText):  # mid-stream
        await pilot.pause(0.02)
    await pilot.press("ctrl+c")
    await settle(pilot)


async def test_ctrl_c_cancels_a_streaming_turn_then_clears_the_prompt_then_quits_when_pressed_twice(
    project, fake_model, app_for
):
    fake_model.script(SLOW_ANSWER)
    app = app_for()
    async with app.run_test() as pilot:
        screen = app.main_screen
        await stop_mid_stream(pilot, screen)
        assert not screen.turn_running and str(screen.query(NoteBlock).last().render()) == "Interrupted · What should claw do instead?"
        assert app.is_running
        streamed = screen.query_one(AssistantText).source
        assert screen.usage.output_tokens == -(-len(streamed) // 4) > 0, "what streamed, not the placeholder 1"
        await type_text(pilot, "draft", "ctrl+c")
        assert screen.prompt.text == "" and app.is_running
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running, "one press on an empty prompt only says how to quit"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_a_turn_stopped_mid_stream_stays_marked_after_claw_c_and_the_model_is_told(project, fake_model, app_for):
    """Ctrl+C mid-answer, then `claw -c`: the cut answer comes back marked as interrupted, as it was
    live, and the next request carries Claude Code's `[Request interrupted by user]` before the prompt."""
    fake_model.script(SLOW_ANSWER, Reply(parts=[Text("Going on.")]))
    app = app_for()
    async with app.run_test() as pilot:
        screen = app.main_screen
        await stop_mid_stream(pilot, screen)
        streamed = screen.query_one(AssistantText).source
        live = [type(w).__name__ for w in screen.conversation.children if w.display][-2:]
        assert live == ["AssistantText", "NoteBlock"]
        assert str(screen.query(NoteBlock).last().render()) == "Interrupted · What should claw do instead?"
    again = app_for(continue_=True)
    async with again.run_test() as pilot:
        await settle(pilot)
        screen = again.main_screen
        assert [w.source for w in screen.query(AssistantText)] == [streamed], "the cut answer, as it was cut"
        blocks = list(screen.conversation.children)
        note = blocks[next(i for i, w in enumerate(blocks) if isinstance(w, AssistantText)) + 1]
        assert isinstance(note, NoteBlock) and note.has_class("-warning"), "marked right under the cut answer"
        assert str(note.render()) == "Interrupted · What should claw do instead?"
        await type_text(pilot, "go on", "enter")
        await settle(pilot)
    sent = fake_model.requests[-1].json["messages"]
    assert sent[-2] == {"role": "assistant", "content": [{"type": "text", "text": streamed}]}
    assert [b["text"] for b in sent[-1]["content"]] == ["[Request interrupted by user]", "go on"]


async def test_ctrl_d_on_an_empty_prompt_quits(project, fake_model, app_for):
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "x", "ctrl+d")
        await pilot.pause()
        assert app.is_running and app.main_screen.prompt.text == "x", "with text it deletes forward, as in a shell"
        await pilot.press("backspace", "ctrl+d")
        await pilot.pause()
        assert not app.is_running


async def test_a_bang_command_and_its_output_reach_the_model_with_the_next_prompt(project, fake_model, app_for):
    (project / "hello.py").write_text("print('hello, world')\n")
    fake_model.script(Reply(parts=[Text("It printed hello, world.")]))
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "!python3 hello.py", "enter")
        await settle(pilot)
        await type_text(pilot, "what did it print?", "enter")
        await settle(pilot)
    text = sent_text(fake_model.requests[-1])
    assert "<bash-input>python3 hello.py</bash-input>" in text and "<bash-stdout>\nhello, world\n</bash-stdout>" in text
    assert text.rstrip().endswith("what did it print?")


async def test_an_at_file_sends_its_content_cut_to_claude_codes_limits_with_a_note(project, fake_model, app_for):
    (project / "hello.py").write_text("print('hello, world')\n")
    (project / "big.log").write_text("".join(f"{n:05} " + "x" * 120 + "\n" for n in range(3000)))  # ~370 KB
    (project / "docs").mkdir()
    fake_model.script(
        Reply(parts=[ToolCall("Edit", {"file_path": "hello.py", "old_string": "world", "new_string": "claw"})]),
        Reply(parts=[Text("Done.")]),
    )
    app = app_for()
    async with app.run_test() as pilot:
        await type_text(pilot, "fix @hello.py using @big.log and @docs/", "escape", "enter")  # Esc closes the @ menu
        await settle(pilot)
        notes = [str(n.render()) for n in app.main_screen.query(NoteBlock)]
    assert "Attached @hello.py, @big.log (cut: too large to attach whole; the model can Read the rest)." in notes
    assert "@docs/ is a folder: claw attaches files, not folders (the model can list it)." in notes, "not attached: said"
    sent = sent_text(fake_model.requests[0])
    assert sent.startswith("fix @hello.py using @big.log and @docs/") and "print('hello, world')" in sent
    assert "00000 xxx" in sent and "02999 xxx" not in sent and "has been truncated to its first lines" in sent
    assert (project / "hello.py").read_text() == "print('hello, claw')\n", "attached counts as read: the Edit lands"


async def test_keys_typed_while_the_app_starts_land_in_the_prompt(project, fake_model, monkeypatch):
    """Type-ahead: keys that reach the app before its first frame (queued while it loads and mounts)
    are typed into the prompt, not into the first focusable pane; Enter then sends them."""
    from recorded_turns import RecordedAgent

    from claw_tui.ui.app import ClawApp

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    agent = RecordedAgent(project)

    class TypedEarly(ClawApp):
        def on_load(self) -> None:  # before the driver starts: the keys wait in the app's queue
            for key in "fix the bug":
                self.post_message(events.Key("space" if key == " " else key, key))

    app = TypedEarly(project, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.main_screen.prompt.text == "fix the bug"
        await pilot.press("enter")
        await settle(pilot)
        assert agent.prompts == ["fix the bug"]


async def test_undo_in_the_live_session_shows_the_file_going_back_and_the_session_diff_forgets_it(project, fake_model, app_for):
    from claw_tui.ui.widgets.diff_view import HunkView

    (project / "greet.py").write_text("def greet():\n    return 'hi'\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "greet.py"})]),
        Reply(parts=[ToolCall("Edit", {"file_path": "greet.py", "old_string": "'hi'", "new_string": "'hello'"})]),
        Reply(parts=[Text("Done.")]),
    )
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "say hello", "enter")
        await settle(pilot)
        diff = app.main_screen.diff_view
        assert diff.title == "Last change"
        await type_text(pilot, "/undo", "enter")
        await settle(pilot)
        assert (project / "greet.py").read_text() == "def greet():\n    return 'hi'\n"
        assert diff.title == "Undone (1 file)"
        [undone] = diff.changes
        assert ("'hello'" in undone.before, "'hi'" in undone.after) == (True, True)  # claw's version → now
        assert len(diff.query(HunkView)) == 1
        await type_text(pilot, "/diff", "enter")
        await settle(pilot)
        notes = [str(n.render()) for n in app.main_screen.query(NoteBlock)]
        assert notes[-1] == "No file has changed in this session."


async def test_at_50_columns_the_footer_ends_with_the_palette_key_and_a_turn_shows_it_runs(project, monkeypatch):
    """At 50x15 the keys that do not fit stay under the palette key (no stray letter after "palette"),
    and a running turn is in the status bar."""
    from recorded_turns import RecordedAgent

    from claw_tui.ui.app import ClawApp
    from claw_tui.ui.widgets.status_bar import StatusBar

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    agent = RecordedAgent(project)
    agent.hold_at = 1
    app = ClawApp(project, agent_factory=lambda app: agent)
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        last_cell, _ = app.screen.get_widget_at(49, 14)
        assert last_cell.has_class("-command-palette")
        await type_text(pilot, "go", "enter")
        await agent.held.wait()
        await pilot.pause()
        status = app.screen.query_one(StatusBar)
        assert status.region.width == 50 and "working" in str(status.render()).split("  ")[0]
        agent.gate.set()
        await settle(pilot)


@pytest.mark.parametrize("typed", ["/quit", "/exit"])
async def test_slash_quit_quits_as_slash_exit_does(project, fake_model, app_for, typed):
    """Claude Code's /quit is its /exit; claw said "Unknown command /quit"."""
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, typed[:3])
        await pilot.pause()
        menu = [c.slash for c in app.registry.completions(app.main_screen, typed[1:3])]
        assert "/exit" in menu  # offered under either name
        await type_text(pilot, typed[3:], "enter")
        for _ in range(100):
            if not app.is_running:
                break
            await pilot.pause(0.02)
        assert not app.is_running
    assert app._exception is None


async def test_quitting_while_an_approval_is_open_ends_cleanly(project, fake_model, app_for):
    """Ctrl+Q over the approval: the call is denied and the app quits, with no traceback from the diff pane."""
    from claw_tui.ui.screens.approval import ApprovalScreen

    fake_model.script(Reply(parts=[ToolCall("Write", {"file_path": "hello.py", "content": "print('hello')\n"})]))
    app = app_for(mode="default")
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "write hello.py", "enter")
        for _ in range(500):
            if isinstance(app.screen, ApprovalScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ApprovalScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app._exception is None
    assert not (project / "hello.py").exists()


async def test_claude_codes_flags_reach_the_apps_session_and_the_others_are_named(project, fake_model, monkeypatch, tmp_path):
    """`claw --add-dir … --allowed-tools … --append-system-prompt … "prompt"` in a terminal: the app
    acted on none of them (only -p did) and said nothing. Now the app reads them as print mode does,
    sends the prompt argument once it is up (as `claude "…"`), and names each flag it does not act on."""
    from claw_tui.cli import CliError, _load, build_parser
    from claw_tui.ui.app import ClawApp

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)
    other = tmp_path / "other"
    other.mkdir()
    args = build_parser().parse_args([
        "--cwd", str(project), "--add-dir", str(other), "--allowed-tools", "Bash(echo:*)",
        "--append-system-prompt", "Answer in one line.", "--disallowed-tools", "Bash(", "--output-format", "json",
        "--effort", "high", "say hi",
    ])
    cwd, config, flags = _load(args)
    fake_model.script(Reply(parts=[Text("Hi.")]))
    app = ClawApp(cwd, config=config, flags=flags, prompt=args.prompt)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        agent = app.agent
        assert other.resolve() in agent.ctx.roots
        assert "Bash(echo:*)" in [r.rule for r in agent.permissions.rules_for_display()]
        [request] = fake_model.requests
        sent = request.body.decode()
        assert "say hi" in sent and "Answer in one line." in sent
        assert app.main_screen.query(AssistantText).last().source == "Hi."
        shown = [n.message for n in app._notifications]  # at start, as the app's other start-up problems
        assert "claw ignored --output-format: print mode (-p) only." in shown
        assert any(message.startswith("claw ignored --effort: ") for message in shown)
        notes = [str(n.render()) for n in app.main_screen.query(NoteBlock)]
        assert "not a permission rule: 'Bash(' (expected Tool or Tool(specifier)) in flags; ignored" in notes
    with pytest.raises(CliError, match=r"--add-dir .*nowhere: not a folder \(a prompt after --add-dir goes after `--`\)"):
        _load(build_parser().parse_args(["--cwd", str(project), "--add-dir", str(other), "nowhere"]))
