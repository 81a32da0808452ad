"""A real session store with fixed sessions, and small apps that show the session browser or the rewind picker.

Dates are fixed and the screens get a fixed clock, so "2 h ago" never moves; the projects live in
the test's home directory, so paths show as ~/project and ~/other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyboard import type_text
from textual.app import App
from textual.screen import Screen

from claw_tui.core.transcript import (
    Message,
    TextBlock,
    ToolUseBlock,
    tool_result,
    user_text,
)
from claw_tui.engine.sessions import SessionStore, UsageRecord
from claw_tui.ui.screens.rewind import RewindPicker
from claw_tui.ui.screens.sessions import SessionBrowser
from claw_tui.ui.theming import CLAW_VARIABLES, DEFAULT_THEME, register_themes

NOW = 1_780_000_000.0
HOUR = 3600.0
DAY = 24 * HOUR
SONNET = "anthropic/claude-sonnet-4-5"


def at(ts: float, message: Message) -> Message:
    return message.model_copy(update={"created_at": ts})


def assistant(text: str, *calls: tuple[str, str, dict[str, Any]], model: str = SONNET) -> Message:
    blocks: list[Any] = [TextBlock(text=text)] if text else []
    blocks += [ToolUseBlock(id=call_id, name=name, input=data) for call_id, name, data in calls]
    return Message(role="assistant", content=blocks, model=model)


def results(*pairs: tuple[str, str]) -> Message:
    return Message(role="user", content=[tool_result(call_id, text) for call_id, text in pairs])


def timed(start: float, messages: list[Message]) -> list[Message]:
    return [at(start + 60 * i, m) for i, m in enumerate(messages)]


def count_lines_session() -> list[Message]:
    return [
        user_text("Fix the off-by-one in count_lines, please."),
        assistant("Let me read the function first.", ("call_1", "Read", {"file_path": "src/count.py"})),
        results(("call_1", "def count_lines(text):\n    return len(text.split('\\n')) - 1\n")),
        assistant(
            "The `- 1` drops the last line when the text has no trailing newline.",
            ("call_2", "Edit", {"file_path": "src/count.py", "old_string": " - 1", "new_string": ""}),
        ),
        results(("call_2", "Edited src/count.py")),
        assistant("Fixed: count_lines now counts the last line too, with or without a trailing newline."),
        user_text("Now add a test for the empty string."),
        assistant("Added `test_empty_string` to tests/test_count.py; it passes."),
    ]


def build_store(home: Path) -> tuple[SessionStore, Path, dict[str, str]]:
    """Five sessions: four in ~/project, one in ~/other. Returns the store, the project and ids by name."""
    project = home / "project"
    other = home / "other"
    project.mkdir(exist_ok=True)
    other.mkdir(exist_ok=True)
    store = SessionStore.open(home / "data" / "sessions.db")
    ids: dict[str, str] = {}

    def add(
        name: str, where: Path, updated: float, messages: list[Message], cost: float | None, model: str
    ) -> None:
        msgs = timed(updated - 60 * len(messages), messages)
        usage = [UsageRecord(model, 12_000, 900, cost_usd=cost, ts=updated)]
        fixed_id = f"1ksq0000{len(ids) + 1}abcd"  # ids are random otherwise, and the preview shows them
        ids[name] = store.import_session(
            where,
            msgs,
            models=[model],
            session_id=fixed_id,
            created=msgs[0].created_at,
            updated=updated,
            usage=usage,
        )

    add("count", project, NOW - 2 * HOUR, count_lines_session(), 0.42, SONNET)
    add(
        "json",
        project,
        NOW - 1 * DAY,
        [
            user_text("Add a --json flag to the CLI so scripts can read the output."),
            assistant(
                "I'll add the flag to the argument parser and print a JSON object.", model="openai/gpt-5"
            ),
            user_text("Keep the table output as the default."),
            assistant(
                "Done: `--json` prints one object per row; the table stays the default.", model="openai/gpt-5"
            ),
        ],
        1.17,
        "openai/gpt-5",
    )
    add(
        "tokenizer",
        project,
        NOW - 5 * DAY,
        [
            user_text("Why is the tokenizer so slow on large files?"),
            assistant(
                "The parser re-scans the whole buffer for every token; caching the line offsets fixes it.",
                model="local/llama3",
            ),
        ],
        None,
        "local/llama3",
    )
    add(
        "config",
        project,
        NOW - 20 * DAY,
        [
            user_text(
                "Refactor the configuration loader so that project, user and local layers merge in one place"
            ),
            assistant("The three loaders now share one `merge_layers` function."),
        ],
        0.0031,
        SONNET,
    )
    add(
        "readme",
        other,
        NOW - 30 * 60,
        [
            user_text("Write the README for the parser library."),
            assistant("Here is a README with install, usage and a parser example."),
        ],
        0.05,
        SONNET,
    )
    return store, project, ids


class HostApp(App[None]):
    """Pushes one screen in claw's default theme and keeps what it dismissed with."""

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.make_screen = make_screen
        self.results: list[Any] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), callback=self.results.append)


@dataclass
class Browser:
    app: HostApp
    store: SessionStore
    project: Path
    ids: dict[str, str]  # session ids by short name: count, json, tokenizer, config, readme


def browser_app(**kwargs: Any) -> Browser:
    store, project, ids = build_store(Path(os.environ["HOME"]))
    app = HostApp(lambda: SessionBrowser(store, project, clock=lambda: NOW, **kwargs))
    return Browser(app, store, project, ids)


def rewind_app() -> HostApp:
    messages = timed(NOW - 3 * HOUR, count_lines_session())
    return HostApp(lambda: RewindPicker(messages, clock=lambda: NOW))


def stop_blinking(app: App[Any]) -> None:
    for widget in app.screen.query("Input"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def settle(pilot: Any) -> None:
    """Let timers, thread workers and the messages they post run out."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    stop_blinking(pilot.app)
    await pilot.pause()


async def search(pilot: Any, text: str) -> None:
    """Type into the filter box and wait until that query's full-text results are on screen."""
    await pilot.press("slash")
    await type_text(pilot, text)
    screen = pilot.app.screen
    for _ in range(200):
        if screen.shown_query == text.strip():
            break
        await pilot.pause(0.05)
    assert screen.shown_query == text.strip(), "the full-text search never showed its results"
    await settle(pilot)
