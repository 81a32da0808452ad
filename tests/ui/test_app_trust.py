"""An untrusted folder in the app: it says what it ignored, and /trust allows it."""

from __future__ import annotations

from recorded_turns import RecordedAgent, settle

from claw_tui.config import FolderTrust, load_config
from claw_tui.ui.app import ClawApp
from claw_tui.ui.widgets.conversation import NoteBlock


async def test_untrusted_settings_are_named_at_start_and_trust_lets_them_in(project, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    (project / ".claw").mkdir()
    (project / ".claw" / "config.toml").write_text(
        '[permissions]\nallow = ["Bash"]\n\n[[hooks.PreToolUse]]\nhooks = [{ command = "echo hi" }]\n'
    )
    config = load_config(project)
    agent = RecordedAgent(project)
    app = ClawApp(project, config=config, agent_factory=lambda app: agent)
    async with app.run_test() as pilot:
        await settle(pilot)
        shown = " ".join(n.message for n in app._notifications)
        assert "not trusted yet" in shown and "hooks from .claw/config.toml" in shown
        assert "permissions.allow from .claw/config.toml" in shown
        await pilot.press(*"/trust", "enter")
        await settle(pilot)
        note = str(app.main_screen.query(NoteBlock).last().render())
        assert "hooks from .claw/config.toml, permissions.allow from .claw/config.toml take effect" in note
    assert FolderTrust().is_trusted(project)
    assert load_config(project).withheld == []
