"""An untrusted folder in the app: it says what it ignored, and /trust allows it."""

from __future__ import annotations

from recorded_turns import RecordedAgent, settle

from claw_tui.config import FolderTrust, load_config
from claw_tui.ui.app import ClawApp
from claw_tui.ui.widgets.conversation import NoteBlock


async def test_the_trust_question_is_a_screen_naming_what_would_run_and_y_applies_it_at_once(project, monkeypatch):
    from claw_tui.ui.screens.trust import TrustScreen

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    (project / ".claw").mkdir()
    (project / ".claw" / "config.toml").write_text(
        '[permissions]\nallow = ["Bash"]\n\n[[hooks.PreToolUse]]\nhooks = [{ command = "./audit.sh" }]\n'
    )
    config = load_config(project)
    agent = RecordedAgent(project)
    app = ClawApp(project, config=config, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        while not (isinstance(app.screen, TrustScreen) and app.screen.drawn_at):  # on screen: a key answers it
            await pilot.pause(0.02)
        assert app.screen.items == ["PreToolUse hook runs `./audit.sh`", "runs without asking: Bash"]
        await pilot.press("Y")  # as the question names it (Shift+Y did nothing)
        await settle(pilot)
        note = str(app.main_screen.query(NoteBlock).last().render())
        assert "hooks from .claw/config.toml, permissions.allow from .claw/config.toml now take effect" in note
        assert [h.hooks[0].command for h in agent.settings.hooks["PreToolUse"]] == ["./audit.sh"], "at once"
    assert FolderTrust().is_trusted(project)
    assert load_config(project).withheld == []


async def test_slash_trust_takes_effect_without_a_restart(project, monkeypatch, fake_model, app_for):
    """The real agent: an allow rule from the folder asks nothing once /trust ran, in the same session."""
    from claw_tui.ui.screens.trust import TrustScreen

    (project / ".claw").mkdir()
    (project / ".claw" / "config.toml").write_text('[permissions]\nallow = ["Bash(echo:*)"]\n')
    app = app_for(mode="default")
    async with app.run_test() as pilot:
        while not (isinstance(app.screen, TrustScreen) and app.screen.drawn_at):  # on screen: a key answers it
            await pilot.pause(0.02)
        await pilot.press("n")
        await settle(pilot)
        rules = [r.rule for r in app.agent.permissions.rules_for_display()]
        assert "Bash(echo:*)" not in rules
        await pilot.press(*"/trust", "enter")
        await settle(pilot)
        assert "Bash(echo:*)" in [r.rule for r in app.agent.permissions.rules_for_display()]


async def test_typing_that_began_before_the_question_goes_on_into_the_prompt(project, app_for):
    """The trust question pops up while the user types the first prompt: the keys of that burst (the
    "y" of "why") do not trust the folder, they go on into the prompt; a key after a pause answers."""
    from textual import events

    from claw_tui.ui.screens.trust import TrustScreen
    from claw_tui.ui.type_ahead import BURST_GAP_S

    (project / ".claw").mkdir()
    (project / ".claw" / "config.toml").write_text('[permissions]\nallow = ["Bash(echo:*)"]\n')
    app = app_for(mode="default")
    async with app.run_test() as pilot:
        while not (isinstance(app.screen, TrustScreen) and app.screen.drawn_at):
            await pilot.pause(0.02)
        drawn = app.screen.drawn_at
        # One burst of typing, keys 0.1 s apart, begun before the question was drawn (as pressed).
        for pressed_at, key in ((drawn - 0.15, "w"), (drawn - 0.05, "h"), (drawn + 0.05, "y")):
            typed = events.Key(key, key)
            typed.time = pressed_at
            app.post_message(typed)
        await pilot.pause()
        assert isinstance(app.screen, TrustScreen), "a key of that burst answered the question"
        assert app.main_screen.prompt.text == "why"
        await pilot.pause(BURST_GAP_S * 2)  # the user stops and reads it
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, TrustScreen)
    assert FolderTrust().is_trusted(project)


async def test_trusting_names_each_project_server_it_starts_once(project, app_for):
    """Y on the trust question starts the project's `.mcp.json` server and says so once (it was named
    twice: as trust_folder's "MCP servers … from .mcp.json" and as the server the app started)."""
    import json
    import sys
    from pathlib import Path

    from claw_tui.ui.screens.trust import TrustScreen

    demo = Path(__file__).parents[1] / "mcp" / "servers" / "demo.py"
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": {"docs": {"command": sys.executable, "args": [str(demo)]}}}))
    app = app_for(mode="default")
    async with app.run_test() as pilot:
        while not (isinstance(app.screen, TrustScreen) and app.screen.drawn_at):
            await pilot.pause(0.02)
        assert any(item.startswith("MCP server docs runs ") for item in app.screen.items)
        await pilot.press("y")
        await settle(pilot)
        note = str(app.main_screen.query(NoteBlock).last().render())
        assert note.count("docs") == 1, note
        assert "MCP server docs now take effect" in note
        manager = app.main_screen.mcp_manager
        for _ in range(500):
            if manager.status("docs").status != "connecting":
                break
            await pilot.pause(0.02)
        assert manager.status("docs").status == "connected"
