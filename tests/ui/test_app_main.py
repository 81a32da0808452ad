"""ClawApp end to end with a recorded agent: turns, cancel, queue, `!cmd`, commands, layout, first run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from keyboard import type_text
from recorded_turns import RecordedAgent, full_turn, settle, text_turn
from textual.command import CommandPalette
from textual.widgets import OptionList

from claw_tui.config import user_config_dir
from claw_tui.core import events as ev
from claw_tui.ui.app import ClawApp
from claw_tui.ui.screens.help import HelpScreen
from claw_tui.ui.screens.main import MainScreen
from claw_tui.ui.screens.model_picker import ModelPickerScreen
from claw_tui.ui.screens.welcome import WelcomeScreen
from claw_tui.ui.widgets.conversation import (
    AssistantText,
    MarkdownNote,
    NoteBlock,
    ShellBlock,
    UserPrompt,
)


@pytest.fixture(autouse=True)
def with_key(monkeypatch):
    """A key in the environment, so the first-run screen stays away unless a test removes it."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


def make_app(project: Path, *turns, **kwargs) -> tuple[ClawApp, RecordedAgent]:
    agent = RecordedAgent(project, *turns)
    return ClawApp(project, agent_factory=lambda app: agent, **kwargs), agent


def screen(app: ClawApp) -> MainScreen:
    return app.main_screen


def notes(app: ClawApp) -> list[str]:
    return [str(n.render()) for n in app.main_screen.query(NoteBlock)]


async def test_a_prompt_runs_a_turn_and_every_pane_gets_the_events(project):
    app, agent = make_app(project, full_turn())
    async with app.run_test(size=(160, 48)) as pilot:
        await type_text(pilot, "fix it", "enter")
        await settle(pilot)
        assert agent.prompts == ["fix it"]
        main = screen(app)
        assert [p.text for p in main.query(UserPrompt)] == ["fix it"]
        answer = list(main.query(AssistantText))[-1]
        assert answer.source.endswith("The tests pass now.")
        assert main.usage.calls == 2 and main.usage.cost_usd == pytest.approx(0.0093)
        assert main.session_changes == {"src/lines.py": ("a\n", "b\n")}
        assert main.status.working == ""
        assert not main.turn_running


async def test_escape_cancels_the_running_turn_mid_stream(project):
    app, agent = make_app(project, text_turn("one ", "two ", "three"))
    agent.hold_at = 2  # after TurnStarted and the first delta
    async with app.run_test() as pilot:
        await type_text(pilot, "go", "enter")
        await agent.held.wait()
        await pilot.pause()
        main = screen(app)
        assert main.turn_running and main.status.working
        await pilot.press("escape")
        await settle(pilot)
        assert agent.cancelled == 1
        assert not main.turn_running and main.status.working == ""
        assert [b.source for b in main.query(AssistantText)] == ["one "]
        assert notes(app)[-1] == "Interrupted · What should claw do instead?"


async def test_a_prompt_sent_during_a_turn_is_queued_then_sent(project):
    app, agent = make_app(project, text_turn("first answer"), text_turn("second answer", turn_id="turn_2"))
    agent.hold_at = 1
    async with app.run_test() as pilot:
        await type_text(pilot, "first", "enter")
        await agent.held.wait()
        await type_text(pilot, "second", "enter")
        await pilot.pause()
        main = screen(app)
        queued = list(main.query(UserPrompt))[-1]
        assert queued.has_class("-queued") and "queued ›" in str(queued.render())
        assert main.status.queued == 1
        assert agent.prompts == ["first"]
        agent.gate.set()
        await settle(pilot)
        await settle(pilot)
        assert agent.prompts == ["first", "second"]
        assert not queued.has_class("-queued")
        assert main.status.queued == 0
        assert [b.source for b in main.query(AssistantText)] == ["first answer", "second answer"]


async def test_bang_runs_a_shell_command_and_keeps_it_for_the_next_prompt(project):
    (project / "hello.txt").write_text("hi from the file\n")
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "!cat hello.txt; exit 3", "enter")
        await settle(pilot)
        block = screen(app).query_one(ShellBlock)
        assert "hi from the file" in str(block.output.render())
        assert str(block.status.render()) == "exit 3 · the model sees this with your next prompt"
        assert block.has_class("-failed")
        assert agent.prompts == [], "no turn: the command waits for the next prompt"
        assert len(agent.notes_for_model) == 1
        assert "<bash-input>cat hello.txt; exit 3</bash-input>" in agent.notes_for_model[0]
        assert "<bash-stdout>\nhi from the file\n</bash-stdout>" in agent.notes_for_model[0]


async def test_a_failing_turn_is_reported_in_the_conversation_and_the_app_lives_on(project):
    class BrokenAgent(RecordedAgent):
        async def run_turn(self, prompt):
            yield ev.TurnStarted(turn_id="t1", model=self.model)
            raise RuntimeError("the engine broke")

    agent = BrokenAgent(project)
    app = ClawApp(project, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        await type_text(pilot, "hi", "enter")
        await settle(pilot)
        assert any("RuntimeError: the engine broke" in n for n in notes(app))
        assert app.is_running and not screen(app).turn_running


async def test_a_failed_background_worker_says_what_it_could_not_do(project):
    """Any named worker that fails is reported once, in words; a failed turn only in the conversation."""

    class BrokenAgent(RecordedAgent):
        async def prepare(self):
            raise OSError("the SDK would not load")

        async def run_turn(self, prompt):
            yield ev.TurnStarted(turn_id="t1", model=self.model)
            raise RuntimeError("the engine broke")

    app = ClawApp(project, agent_factory=lambda app: BrokenAgent(project))
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_text(pilot, "hi", "enter")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert shown == ["Could not prepare the model's client: OSError: the SDK would not load"]
        assert any("RuntimeError: the engine broke" in n for n in notes(app))


async def test_an_agent_that_cannot_be_created_is_explained(project):
    def fail(app):
        raise ValueError("no such model")

    app = ClawApp(project, agent_factory=fail)
    async with app.run_test() as pilot:
        await pilot.pause()
        await type_text(pilot, "hi", "enter")
        await pilot.pause()
        assert "claw cannot start the agent: ValueError: no such model" in notes(app)[0]
        assert "No agent to send to" in notes(app)[-1]


async def test_unknown_commands_say_so(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "/frobnicate", "enter")
        await pilot.pause()
        assert notes(app)[-1] == "Unknown command /frobnicate. Type / to see the commands."


async def test_slash_commands_complete_in_the_prompt_from_the_registry(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await pilot.press("/", "c", "o")
        menu = screen(app).query_one("CompletionMenu", OptionList)
        items = [str(menu.get_option_at_index(i).prompt).split()[0] for i in range(menu.option_count)]
        assert items == ["/compact", "/cost", "/context", "/config"]


async def test_the_palette_offers_the_registry_commands(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "/cos")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("/cost") for p in prompts)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "Cost of this session" in screen(app).query(MarkdownNote).last().source


async def test_model_picker_switches_the_model_for_the_next_turn(project):
    app, agent = make_app(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "/model", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelPickerScreen)
        await type_text(pilot, "gpt-5-mini")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert agent.model == "openai/gpt-5-mini"
        assert screen(app).status.model == "openai/gpt-5-mini"
        await type_text(pilot, "hello", "enter")
        await settle(pilot)
        assert agent.models_used == ["openai/gpt-5-mini"]


async def test_model_picker_lists_models_of_a_discovered_local_server(project, fake_model):
    from claw_tui.providers.registry import discover_local_servers

    async def discover():
        return await discover_local_servers(ports=(fake_model.port,), env={}, timeout=10)  # a loaded CI machine is slow

    app, agent = make_app(project, discover_local=discover)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "/model", "enter")
        await settle(pilot)
        await type_text(pilot, "local/", "down", "enter")
        await pilot.pause()
        assert agent.model == "local/qwen3-coder"


async def test_theme_picker_previews_and_persists_the_choice(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        assert app.theme == "claw-dark"
        await type_text(pilot, "/theme", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "gruvbox")
        await settle(pilot)
        await pilot.press("down")  # highlighting previews
        await pilot.pause()
        assert app.theme == "gruvbox-dark"
        await pilot.press("escape")  # closing without choosing restores
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.theme == "claw-dark"
        await type_text(pilot, "/theme high-contrast", "enter")
        await pilot.pause()
        assert app.theme == "high-contrast"
    saved = tomllib.loads((user_config_dir() / "config.toml").read_text())
    assert saved["theme"] == "high-contrast"
    again, _ = make_app(project)
    assert again.theme == "high-contrast", "the next start uses the saved theme"


async def test_help_lists_commands_and_keys(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen._text
        assert "`/model [provider/model]`" in text and "| F11 |" in text and "| Ctrl+B |" in text
        assert "| F3 | Focus the tools pane |" in text and "| Shift+Tab |" in text
        assert "| f8 |" in text.lower() and "f2-f7" not in text.lower(), "each key on its own line"
        assert "| a | Accept every hunk |" in text and "| A | Allow, and allow calls like it" in text, "the approval's keys"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_status_and_config_commands_report_without_machine_paths(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "/status", "enter")
        await pilot.pause()
        status = screen(app).query(MarkdownNote).last().source
        assert "`~/project`" in status and "anthropic/claude-sonnet-4-6" in status
        await type_text(pilot, "/config", "enter")
        await pilot.pause()
        config = screen(app).query(MarkdownNote).last().source
        assert "`~/project/.claw/config.toml` (not present)" in config


async def test_context_reports_the_window_and_claude_codes_own_commands_say_what_to_do_instead(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "/context", "enter")
        await pilot.pause()
        report = screen(app).query(MarkdownNote).last().source
        window = screen(app).cost_meter.context_window
        assert window and f"0 of {window:,} tokens (0%)" in report and "Auto-compaction: at 85% of the window" in report
        await type_text(pilot, "/login", "enter")
        await pilot.pause()
        assert notes(app)[-1].startswith("/login is Claude Code's: claw reads API keys from ANTHROPIC_API_KEY")
        await type_text(pilot, "/frobnicate", "enter")
        await pilot.pause()
        assert notes(app)[-1] == "Unknown command /frobnicate. Type / to see the commands."


@pytest.mark.parametrize("command", ["resume", "resume 1ksq", "sessions", "undo", "rewind", "export"])
async def test_session_commands_say_so_when_the_agent_keeps_no_sessions(project, command):
    """The recorded agent has no session store: each session command answers with a note, and no turn starts."""
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, f"/{command}", "enter")
        await pilot.pause()
        name = command.split()[0]
        if name == "export":
            assert notes(app)[-1] == "/export: nothing to export yet; the session has no messages."
        else:
            assert notes(app)[-1] == f"/{name}: sessions are not being saved in this run of claw."
        assert isinstance(app.screen, MainScreen) and agent.prompts == []


async def test_clear_starts_a_new_conversation(project):
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "hi", "enter")
        await settle(pilot)
        agent.transcript.append("something")  # type: ignore[arg-type]
        await type_text(pilot, "/clear", "enter")
        await pilot.pause()
        assert agent.transcript == []
        assert not screen(app).query(UserPrompt)
        assert notes(app) == ["New conversation."]


async def test_shift_tab_cycles_the_permission_mode_and_asks_before_bypass(project):
    from claw_tui.ui.screens.bypass import BypassScreen

    app, agent = make_app(project)
    async with app.run_test() as pilot:
        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            await pilot.pause()
            seen.append((agent.permissions.mode, screen(app).status.mode))
        assert seen == [("acceptEdits", "acceptEdits"), ("plan", "plan"), ("plan", "plan")]
        assert isinstance(app.screen, BypassScreen), "bypassPermissions is asked for, not cycled into"
        await pilot.press("shift+tab")  # cycling on declines it
        await pilot.pause()
        assert agent.permissions.mode == "default" and not isinstance(app.screen, BypassScreen)
        for key in ("shift+tab", "shift+tab", "shift+tab", "y"):
            await pilot.press(key)
            await pilot.pause()
        assert agent.permissions.mode == "bypassPermissions" == screen(app).status.mode
        await pilot.press("shift+tab")
        assert agent.permissions.mode == "default"


async def test_wide_layout_shows_the_panes_beside_the_conversation(project):
    app, _ = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        main = screen(app)
        side = main.query_one("#side")
        assert not main.is_narrow and side.display
        assert side.region.x > main.conversation.region.right - 1
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not side.display and main.conversation.region.width == 160


async def test_f8_hides_the_focused_pane_and_its_focus_key_brings_it_back(project):
    app, _ = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        main = screen(app)
        tools, diff = main.query_one("#pane-tools"), main.query_one("#pane-diff")
        await pilot.press("f8")  # the prompt has focus: nothing to hide, and it says so
        await pilot.pause()
        assert tools.display and diff.display
        assert "Focus a side pane first" in list(app._notifications)[-1].message
        await pilot.press("f3", "f8")
        await pilot.pause()
        assert not tools.display and diff.display
        assert main.focused is main.prompt, "focus leaves the hidden pane"
        assert diff.region.y < 10, "the other panes take the room"
        await pilot.press("f3")
        await pilot.pause()
        assert tools.display and tools in main.focused.ancestors
        for key in ("f3", "f4", "f5", "f6"):  # hiding all four hides the column; Ctrl+B brings them back
            await pilot.press(key, "f8")
        await pilot.pause()
        assert not main.query_one("#side").display and main.conversation.region.width == 160
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert all(main.query_one(f"#pane-{n}").display for n in ("tools", "diff", "tasks", "cost"))


async def test_every_key_in_the_footer_does_what_it_says(project):
    """The footer's keys, read from the footer itself, each change the screen."""
    from textual.widgets._footer import FooterKey

    app, _ = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        main = screen(app)
        shown = {key.description: key.key for key in main.query(FooterKey)}
        assert shown == {
            "stop/quit": "ctrl+c", "help": "f1", "focus": "f2", "panes": "ctrl+b", "hide": "f8", "zoom": "f11",
            "palette": "ctrl+p",
        }
        assert str(main.query_one("FooterKey").render()).strip().startswith("^c")
        assert "f2-f7" in [str(k.render()).split()[0] for k in main.query(FooterKey)]
        await pilot.press(shown["help"])
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", shown["focus"])
        await pilot.pause()
        assert main.focused is main.conversation
        await pilot.press(shown["zoom"])
        await pilot.pause()
        assert main.maximized is main.conversation
        await pilot.press("escape")  # Esc restores the zoom
        await pilot.pause()
        assert main.maximized is None
        await pilot.press(shown["panes"])
        await pilot.pause()
        assert not main.query_one("#side").display
        await pilot.press(shown["panes"], "f5", shown["hide"])
        await pilot.pause()
        assert not main.query_one("#pane-tasks").display
        await pilot.press(shown["palette"])
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


@pytest.mark.parametrize("pane_key", ["f3", "f4", "f5", "f6"])
async def test_the_footer_fits_80_columns_with_each_panes_own_keys(project, pane_key):
    from textual.widgets._footer import FooterKey

    app, _ = make_app(project, full_turn())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "go", "enter")
        await settle(pilot)
        await pilot.press(pane_key)
        await pilot.pause()
        keys = list(screen(app).query(FooterKey))
        palette = next(k for k in keys if k.key == "ctrl+p")
        cut = [k.description for k in keys if k is not palette and k.region.right > palette.region.x]
        assert not cut, f"footer keys cut off at 80 columns: {cut}"


async def test_the_cost_meter_shows_the_models_window_and_todays_spend(project):
    from claw_tui.engine.sessions import SessionStore

    store = SessionStore.open(project / "sessions.db")
    earlier = store.create_session(project, "anthropic/claude-sonnet-4-6")
    store.record_usage(earlier, "anthropic/claude-sonnet-4-6", 1000, 100, 0, 0, 1.25)
    app, agent = make_app(project)
    agent.store = store
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        meter = screen(app).cost_meter
        assert meter.context_window == 1_000_000
        assert meter.today_usd == pytest.approx(1.25)
        await type_text(pilot, "hi", "enter")
        await settle(pilot)
        assert meter.today_usd == pytest.approx(1.25 + 0.0048)
        assert "today" in str(meter.money_text())
        await type_text(pilot, "/model local/llama3", "enter")
        await pilot.pause()
        assert meter.context_window is None, "a model the catalog does not know has no gauge"
    store.close()


async def test_narrow_layout_hides_the_panes_until_asked_and_shows_them_as_tabs(project):
    app, _ = make_app(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        main = screen(app)
        side = main.query_one("#side")
        assert main.is_narrow and not side.display
        assert main.conversation.region.width == 80
        await pilot.press("f4")  # focus the diff pane: the panes open on its tab
        await pilot.pause()
        assert side.display
        assert main.query_one("#pane-diff").display and not main.query_one("#pane-tools").display
        assert main.query_one("#side-tabs").active == "tab-diff"


async def test_zoom_maximizes_the_focused_pane_and_escape_restores(project):
    app, _ = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f2", "f11")
        await pilot.pause()
        main = screen(app)
        assert main.maximized is main.conversation
        await pilot.press("escape")
        await pilot.pause()
        assert main.maximized is None


async def test_first_run_without_a_key_shows_the_welcome_screen(project, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    app, _ = make_app(project)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

    app, _ = make_app(project)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_first_run_with_a_local_server_switches_to_its_model(project, monkeypatch, fake_model):
    from claw_tui.providers.registry import discover_local_servers

    monkeypatch.delenv("ANTHROPIC_API_KEY")

    async def discover():
        return await discover_local_servers(ports=(fake_model.port,), env={}, timeout=10)  # a loaded CI machine is slow

    app, agent = make_app(project, discover_local=discover)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert agent.model == "local/llama3"
        assert agent.local_base_url == fake_model.base_url + "/v1"
        assert any("using the local server" in n for n in notes(app))



async def test_function_keys_move_focus_between_panes_even_from_the_prompt(project):
    app, _ = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        main = screen(app)
        assert app.focused is main.prompt
        await pilot.press("f2")
        assert app.focused is main.conversation
        await pilot.press("f7")
        assert app.focused is main.prompt
        await pilot.press("f3")
        assert app.focused is not main.prompt and main.query_one("#pane-tools") in app.focused.ancestors_with_self
        await pilot.press("escape")
        assert app.focused is main.prompt, "Esc with no turn running goes back to the prompt"


async def test_compact_runs_through_the_turn_worker_and_shows_the_boundary(project):
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "/compact keep the API notes", "enter")
        await settle(pilot)
        assert agent.compactions == ["keep the API notes"]
        assert notes(app)[-1] == "Conversation compacted (manual): 50,000 → 4,000 tokens, 4 recent messages kept."


async def test_permissions_lists_rules_with_their_sources(project):
    from claw_tui.config import RuleSource

    app, agent = make_app(project)
    for rule in (RuleSource("allow", "Bash(git status:*)", "project settings"), RuleSource("deny", "WebFetch", "user settings"),
                 RuleSource("allow", "Bash(npm test:*)", "session"), RuleSource("allow", "Bash(unclosed", "local settings")):
        agent.permissions.add_rule(rule.behavior, rule.rule, rule.source)
    agent.config.withheld.append("hooks from .claw/config.toml")
    async with app.run_test() as pilot:
        await type_text(pilot, "/permissions", "enter")
        await pilot.pause()
        report = screen(app).query(MarkdownNote).last().source
        assert "| allow | `Bash(git status:*)` | project settings |" in report
        assert "| deny | `WebFetch` | user settings |" in report
        assert "| allow | `Bash(npm test:*)` | session |" in report, "an \"always allow\" of this session"
        assert "Bash(unclosed" not in report.split("**Rules that could not be read**")[0]
        assert "in local settings; ignored" in report and "hooks from .claw/config.toml" in report


async def test_session_diff_keeps_the_first_before_and_the_last_after_per_file(project):
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        main = screen(app)
        for before, after in (("v1\n", "v2\n"), ("v2\n", "v3\n")):
            await main.route(ev.FileChanged(call_id="c", path="a.py", before=before, after=after))
        await main.route(ev.FileChanged(call_id="c", path="new.py", before=None, after="x\n"))
        assert main.session_changes == {"a.py": ("v1\n", "v3\n"), "new.py": (None, "x\n")}
        await type_text(pilot, "/diff", "enter")
        await pilot.pause()
        assert main.diff_view.title == "Session changes"
        assert [d.path for d in main.diff_view.changes] == ["a.py", "new.py"]
        assert main.query_one("#pane-diff") in app.focused.ancestors_with_self, "/diff focuses the diff pane"


async def test_the_git_branch_and_dirty_marker_refresh_after_each_turn(project):
    import asyncio

    git = await asyncio.create_subprocess_exec("git", "init", "-q", "-b", "main", str(project))
    assert await git.wait() == 0
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await settle(pilot)
        main = screen(app)
        assert (main.status.branch, main.status.dirty) == ("main", False)
        (project / "written-by-a-tool.txt").write_text("x\n")
        await type_text(pilot, "go", "enter")
        await settle(pilot)
        await settle(pilot)
        assert main.status.dirty is True


async def test_user_themes_reload_when_their_file_changes(project):
    from claw_tui.ui.theming import user_themes_dir

    user_themes_dir().mkdir(parents=True)
    theme_file = user_themes_dir() / "mine.toml"
    theme_file.write_text('name = "mine"\n[colors]\nprimary = "#111111"\n')
    app, _ = make_app(project)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.get_theme("mine").primary == "#111111"
        theme_file.write_text('name = "mine"\n[colors]\nprimary = "#222222"\n')
        for _ in range(100):  # the file watcher reports within a few hundred milliseconds
            if app.get_theme("mine").primary == "#222222":
                break
            await pilot.pause(0.05)
        assert app.get_theme("mine").primary == "#222222"


async def test_cancelling_puts_queued_prompts_back_into_the_prompt(project):
    app, agent = make_app(project, text_turn("slow answer"))
    agent.hold_at = 1
    async with app.run_test() as pilot:
        await type_text(pilot, "first", "enter")
        await agent.held.wait()
        await type_text(pilot, "second", "enter")
        await type_text(pilot, "third", "enter")
        await pilot.pause()
        main = screen(app)
        assert main.status.queued == 2
        await pilot.press("escape")
        await settle(pilot)
        assert agent.prompts == ["first"], "nothing queued was sent"
        assert main.prompt.text == "second\n\nthird"
        assert [p.text for p in main.query(UserPrompt)] == ["first"]
        assert main.status.queued == 0


async def test_the_task_pane_follows_the_agents_task_graph(project):
    app, agent = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        agent.task_graph.create("Write the parser")
        agent.task_graph.create("Test the parser")
        await pilot.pause()
        assert [t.subject for t in screen(app).task_pane.tasks.values()] == ["Write the parser", "Test the parser"]
        await type_text(pilot, "/tasks", "enter")
        await pilot.pause()
        assert app.focused is screen(app).task_pane


async def test_init_and_user_commands_send_their_prompt_to_the_model(project):
    (project / ".claw" / "commands").mkdir(parents=True)
    (project / ".claw" / "commands" / "review.md").write_text("---\ndescription: Review a file\n---\nReview $ARGUMENTS for bugs.\n")
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await type_text(pilot, "/review src/app.py", "enter")
        await settle(pilot)
        await type_text(pilot, "/init", "enter")
        await settle(pilot)
        assert agent.prompts[0] == "Review src/app.py for bugs."
        assert agent.prompts[1].startswith("Please analyse this repository and write an AGENTS.md")
        shown = [p.text for p in screen(app).query(UserPrompt)]
        assert shown == ["/review src/app.py", agent.prompts[1]], "a user command shows as typed, as in Claude Code"


async def test_a_real_skill_runs_as_its_folder_name(project):
    """pydantic-ai's pre-push-review skill has no `name`: Claude Code runs it as /pre-push-review."""
    import shutil

    source = Path(__file__).parents[1] / "data" / "claude_folders" / "pydantic-ai" / ".claude"
    shutil.copytree(source, project / ".claude", symlinks=True)
    app, agent = make_app(project)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("n")  # the folder's settings carry hooks: the trust question comes first
        await type_text(pilot, "/pre-push-review main", "enter")
        await settle(pilot)
        sent = agent.prompts[0]
        assert "Skill 'pre-push-review'" in sent and "ARGUMENTS: main" in sent
        assert "Use the strongest locally available reviewer to catch problems" in sent
        assert [p.text for p in screen(app).query(UserPrompt)] == ["/pre-push-review main"]


async def test_a_code_line_wider_than_the_pane_folds_and_copies_whole(project):
    from textual.selection import Selection

    from claw_tui.ui.widgets.markdown_marks import FOLD_GLYPH

    long_line = "print('" + "a very long line of code " * 8 + "')"
    app, _ = make_app(project, text_turn("Here:\n\n```python\n", long_line + "\n", "```\n\nand short:\n\n```\nx = 1\n```\n"))
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "show me", "enter")
        await settle(pilot)
        answer = screen(app).query(AssistantText).last()
        drawn = [line.text for line in answer._lines]
        assert any(line.startswith(FOLD_GLYPH) for line in drawn), "the long line goes on, marked, below"
        assert all(line.rstrip() == line.rstrip()[: answer.size.width] for line in drawn), "nothing past the pane's edge"
        copied, _ = answer.get_selection(Selection(None, None))
        assert long_line in copied.splitlines() and "x = 1" in copied.splitlines()

async def test_text_dragged_over_in_an_answer_is_copied_by_ctrl_c(project):
    app, _ = make_app(project, text_turn("The **answer** is forty-two."))
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "question", "enter")
        await settle(pilot)
        answer = screen(app).query(AssistantText).last()
        # The answer has one cell of padding on the left: "answer" is at cells 5 to 10.
        await pilot.mouse_down(answer, offset=(5, 0))
        await pilot.hover(answer, offset=(10, 0))
        await pilot.mouse_up(answer, offset=(10, 0))
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == "answer"


async def test_what_claw_does_not_honour_is_a_note_at_start(project):
    app, agent = make_app(project)
    agent.startup_notes = ["Hooks of type `http` are not run by claw (PreToolUse)."]
    async with app.run_test() as pilot:
        await settle(pilot)
        assert any("Hooks of type `http` are not run by claw (PreToolUse)." in n for n in notes(app))


async def test_on_a_short_screen_the_completion_menu_leaves_the_conversation_and_status_bar(project):
    """At 50x15 the / menu (ten rows) and the prompt took the whole screen: the conversation shrank to
    its border, the status bar went off the screen and the screen itself scrolled."""
    app, _ = make_app(project)
    async with app.run_test(size=(50, 15)) as pilot:
        await type_text(pilot, "/")
        main = screen(app)
        assert main.query_one("CompletionMenu", OptionList).option_count > 3, "the menu is open"
        assert main.status.region.bottom <= 14 and main.status.region.height == 1, "the status bar is on screen"
        assert main.conversation.region.height >= 4
        assert main.max_scroll_y == 0, "the screen does not scroll"
