"""The status bar: home-shortened cwd, git branch and dirty marker from a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.app import App

from claw_tui.core.home_paths import short_path
from claw_tui.ui.widgets.status_bar import StatusBar, git_state


def _repo(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "feature/x")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "T")
    (root / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "first")


def test_short_path_uses_tilde_under_home(tmp_path):
    assert short_path(tmp_path / "src" / "app", home=tmp_path) == "~/src/app"
    assert short_path(tmp_path, home=tmp_path) == "~"
    assert short_path(Path("/opt/x"), home=tmp_path) == "/opt/x"


async def test_git_state_reads_branch_and_dirtiness(tmp_path):
    assert await git_state(tmp_path) is None, "not a repository"
    _repo(tmp_path)
    assert await git_state(tmp_path) == ("feature/x", False)
    (tmp_path / "a.txt").write_text("changed\n")
    assert await git_state(tmp_path) == ("feature/x", True)


class BarApp(App[None]):
    def compose(self):
        yield StatusBar()


async def test_the_bar_shows_every_field_and_keeps_the_right_side_when_narrow(tmp_path):
    _repo(tmp_path)
    (tmp_path / "new.txt").write_text("untracked\n")
    app = BarApp()
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.cwd = "~/project"
        bar.model = "anthropic/claude-sonnet-4-6"
        bar.mode = "acceptEdits"
        bar.sandbox = "on"
        await bar.refresh_git(tmp_path)
        await pilot.pause()
        line = str(bar.render())
        assert line.startswith("~/project  ⎇ feature/x*")
        assert line.rstrip().endswith("anthropic/claude-sonnet-4-6  accept edits  sandbox on")
        bar.cwd = "~/" + "very-long-directory-name/" * 6
        await pilot.pause()
        line = str(bar.render())
        assert "…" in line and line.rstrip().endswith("sandbox on"), "the left side is cut, not the right"


async def test_a_narrow_bar_gives_up_the_provider_then_the_sandbox(tmp_path):
    _repo(tmp_path)
    app = BarApp()
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.cwd, bar.model, bar.sandbox = "~/project", "anthropic/claude-sonnet-4-6", "disabled"
        await bar.refresh_git(tmp_path)
        await pilot.pause()
        line = str(bar.render())
        assert line.startswith("~/project  ⎇ feature/x ")
        assert line.rstrip().endswith(" claude-sonnet-4-6  ask before edits  sandbox disabled"), "the provider goes first"
        bar.mode = "bypassPermissions"
        bar.branch = "feature/a-rather-long-branch-name"
        await pilot.pause()
        line = str(bar.render())
        assert line.startswith("~/project  ⎇ feature/a-rather-long-bran…"), "a long branch is cut, not the model"
        assert line.rstrip().endswith(" claude-sonnet-4-6  bypass permissions"), "then the sandbox goes; the mode stays"
        await pilot.resize_terminal(50, 3)
        await pilot.pause()
        line = str(bar.render())
        assert line.rstrip().endswith(" claude-sonnet-4-6  bypass permissions") and "…" in line


async def test_commands_running_unsandboxed_unasked_for_keep_a_marker_however_narrow(tmp_path):
    """"sandbox off" (bubblewrap missing, or a repository turned it off) is never folded away."""
    app = BarApp()
    async with app.run_test(size=(60, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.cwd, bar.model, bar.sandbox, bar.mode = "~/project", "anthropic/claude-sonnet-4-6", "off", "bypassPermissions"
        await pilot.pause()
        assert str(bar.render()).rstrip().endswith(" claude-sonnet-4-6  bypass permissions  sandbox OFF")


async def test_the_app_says_once_at_start_that_the_sandbox_is_missing(project, fake_model, monkeypatch):
    from recorded_turns import settle

    from claw_tui.config import load_config
    from claw_tui.tools.sandbox import BWRAP_ENV
    from claw_tui.ui.app import ClawApp
    from claw_tui.ui.widgets.conversation import NoteBlock

    monkeypatch.setenv(BWRAP_ENV, "/nonexistent/bwrap")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)
    app = ClawApp(project, config=load_config(project), permission_mode="bypassPermissions")
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(200):
            if app.main_screen.status.sandbox not in ("", "…"):
                break
            await pilot.pause(0.02)
        await settle(pilot)
        assert app.main_screen.status.sandbox == "off"
        notes = [str(n.render()) for n in app.main_screen.query(NoteBlock)]
    said = ("Sandbox: the sandbox is unavailable (bubblewrap is not installed (no executable at /nonexistent/bwrap)): "
            "every Bash command will ask for approval. To run commands unsandboxed under your rules, set "
            "sandbox.enabled = false in your user config.")
    assert notes == [said]
