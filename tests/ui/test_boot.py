"""`claw` draws its boot screen (the main screen's frame and prompt) first and loads the session
behind it; the keys typed meanwhile reach the main screen in order, as if typed there."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_model import Reply, Text, isolated_env
from recorded_turns import settle
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input

from claw_tui.ui.app import SessionFlags, default_agent_factory
from claw_tui.ui.screens.boot import BootScreen
from claw_tui.ui.screens.help import HelpScreen
from claw_tui.ui.screens.main import MainScreen


async def test_keys_typed_behind_the_boot_screen_reach_the_main_screen_in_order(project, fake_model, app_for):
    fake_model.script(Reply(parts=[Text("Hello.")]))
    seen: dict[str, object] = {}
    make_agent = default_agent_factory(None, "default", SessionFlags())

    def agent_typed_for(app):
        """The agent, made while the boot screen shows; the user types meanwhile."""
        seen["screen"] = app.screen
        for key, character in (("h", "h"), ("x", "x"), ("backspace", None), ("i", "i"), ("enter", "\r"), ("a", "a")):
            app.post_message(events.Key(key, character))
        app.post_message(events.Paste("b"))
        return make_agent(app)

    app = app_for(mode="default", boot=True, agent_factory=agent_typed_for)
    first_drawn_with: list[str] = []  # the main screen's prompt when that screen was first drawn
    display = app._display

    def drawn(screen, renderable):
        if screen is getattr(app, "main_screen", None) and renderable is not None and not app._batch_count and not first_drawn_with:
            first_drawn_with.append(screen.prompt.text)
        display(screen, renderable)

    app._display = drawn  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert first_drawn_with == ["ab"], "the main screen is first drawn with the held keys in its prompt"
        boot = seen["screen"]
        assert isinstance(boot, BootScreen), "the session loads behind the boot screen"
        assert boot.prompt.text == "ab", "the boot screen showed the keys as they came (Enter took 'hi')"
        assert isinstance(app.screen, MainScreen)
        [request] = fake_model.requests
        assert '"hi"' in request.body.decode(), "Enter sent what was typed before it, once"
        assert app.main_screen.prompt.text == "ab"
        await pilot.press("c")
        assert app.main_screen.prompt.text == "abc", "keys typed once the main screen is up follow the held ones"


async def test_an_agent_that_cannot_be_made_behind_the_boot_screen_is_named_on_the_main_screen(project, fake_model, app_for):
    def broken(app):
        return (app.cwd / "missing").read_text()  # FileNotFoundError

    app = app_for(boot=True, agent_factory=broken)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "FileNotFoundError" in app.agent_error
        assert app.boot_failure is None


async def test_keys_held_behind_the_boot_screen_reach_the_screen_or_pane_the_key_before_opened(project, fake_model, app_for):
    """F4, then F11; '/he' and Enter; Ctrl+P, then what to search for: held while claw loaded, each key
    waits for the app to have done with the one before, as a fast typist's would (sent all at once, F11
    zoomed the conversation, '/he' was sent as it was, "cost" went nowhere)."""
    make_agent = default_agent_factory(None, "default", SessionFlags())
    typed: list[tuple[str, str | None]] = []

    def agent_typed_for(app):
        for key, character in typed:
            app.post_message(events.Key(key, character))
        return make_agent(app)

    typed[:] = [("f4", None), ("f11", None)]
    app = app_for(mode="default", boot=True, agent_factory=agent_typed_for)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.main_screen.maximized is app.main_screen.query_one("#pane-diff"), "F11 zoomed the pane F4 focused"

    typed[:] = [("slash", "/"), ("h", "h"), ("e", "e"), ("enter", "\r")]
    app = app_for(mode="default", boot=True, agent_factory=agent_typed_for)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen), "'/he' and Enter chose /help from the menu"

    typed[:] = [("ctrl+p", None), *((c, c) for c in "cost")]
    app = app_for(mode="default", boot=True, agent_factory=agent_typed_for)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).value == "cost", "the keys after Ctrl+P went to the palette"
        assert app.main_screen.prompt.text == ""


class Terminal:
    """`claw` started in tmux, on a tmux server of its own (tests sharing one raced its start and end),
    in an empty project, against the fake server."""

    def __init__(self, tmp_path: Path, base_url: str, size: tuple[int, int]) -> None:
        home = tmp_path / "home"
        project = home / "project"
        project.mkdir(parents=True)
        env = isolated_env(home, base_url) | {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}
        claw = Path(sys.executable).with_name("claw")
        command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), str(claw), "--permission-mode", "acceptEdits"]
        self.socket = f"claw-boot-{time.monotonic_ns()}"
        width, height = size
        self.tmux("new-session", "-d", "-s", "claw", "-x", str(width), "-y", str(height), "-c", str(project), *command)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "claw", "-l", text)
        self.tmux("send-keys", "-t", "claw", "Enter")

    def showing(self, text: str, within_s: float = 30) -> str:
        screen = ""
        deadline = time.monotonic() + within_s
        while text not in screen and time.monotonic() < deadline:
            time.sleep(0.1)
            screen = self.tmux("capture-pane", "-p", "-t", "claw")
        return screen

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)


@pytest.mark.needs("tmux")
def test_claw_typed_at_once_in_a_terminal_sends_the_prompt_and_shows_the_answer(tmp_path, fake_model):
    """The real start in a terminal: `claw⏎ hi⏎` typed before anything shows, as a user does."""
    fake_model.script(Reply(parts=[Text("Hello from the model.")]))
    terminal = Terminal(tmp_path, fake_model.base_url, (120, 40))
    try:
        terminal.type("hi")
        screen = terminal.showing("Hello from the model.")
        assert "Hello from the model." in screen, screen
        [request] = fake_model.requests
        assert '"hi"' in request.body.decode()
    finally:
        terminal.close()


@pytest.mark.needs("tmux")
def test_a_screen_opened_by_keys_typed_while_claw_loads_is_drawn(tmp_path, fake_model):
    """'/he' and Enter typed as claw starts open the help, and it is drawn (the screen drawn while the
    keys were handed on stayed the boot screen's until something else changed)."""
    terminal = Terminal(tmp_path, fake_model.base_url, (100, 30))
    try:
        terminal.showing("Ask claw")
        terminal.type("/he")
        screen = terminal.showing("claw help", within_s=15)
        assert "claw help" in screen, screen
    finally:
        terminal.close()
