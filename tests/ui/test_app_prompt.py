"""The prompt on its own: sending, new lines, history, pastes, `/` and `@` completion."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

from keyboard import type_text
from textual import events
from textual.app import App

from claw_tui.ui.theming import CLAW_VARIABLES
from claw_tui.ui.widgets.prompt import (
    CompletionMenu,
    FileIndex,
    PromptBar,
    PromptHistory,
    PromptInput,
)

COMMANDS = [("help", "", "Show commands and keys"), ("model", "[provider/model]", "Switch model"), ("memory", "", "Memory files")]


class PromptApp(App[None]):
    def __init__(self, root: Path, history: Path | None = None) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.prompt = PromptInput(
            history=PromptHistory(history),
            files=FileIndex(root),
            commands=lambda typed: [c for c in COMMANDS if c[0].startswith(typed)],
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self):
        yield PromptBar(self.prompt)

    def on_mount(self) -> None:
        self.prompt.focus()

    def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        self.sent.append(message.text)

    @property
    def menu(self) -> CompletionMenu:
        return self.query_one(CompletionMenu)

    def menu_items(self) -> list[str]:
        return [str(self.menu.get_option_at_index(i).prompt) for i in range(self.menu.option_count)]


async def test_enter_sends_and_clears(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await type_text(pilot, "hi there", "enter")
        assert app.sent == ["hi there"]
        assert app.prompt.text == ""


async def test_ctrl_j_and_shift_enter_insert_new_lines(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("a", "ctrl+j", "b", "shift+enter", "c")
        assert app.prompt.text == "a\nb\nc"
        assert app.sent == []
        await pilot.press("enter")
        assert app.sent == ["a\nb\nc"]


async def test_up_and_down_walk_history_at_the_edges_and_it_persists(tmp_path):
    history = tmp_path / "data" / "history.jsonl"
    app = PromptApp(tmp_path, history)
    async with app.run_test() as pilot:
        await type_text(pilot, "first", "enter")
        await type_text(pilot, "second", "enter")
        await type_text(pilot, "draft")
        await pilot.press("up")
        assert app.prompt.text == "second"
        await pilot.press("up")
        assert app.prompt.text == "first"
        await pilot.press("up")
        assert app.prompt.text == "first", "the oldest entry stays"
        await pilot.press("down", "down")
        assert app.prompt.text == "draft", "walking past the newest restores the draft"
    assert [json.loads(line)["text"] for line in history.read_text().splitlines()] == ["first", "second"]

    again = PromptApp(tmp_path, history)
    async with again.run_test() as pilot:
        await pilot.press("up")
        assert again.prompt.text == "second", "history is read back on the next start"


async def test_up_inside_a_multi_line_prompt_moves_the_cursor_not_history(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await type_text(pilot, "old", "enter", "a", "ctrl+j", "b", "up")
        assert app.prompt.text == "a\nb"
        assert app.prompt.cursor_location[0] == 0


def test_history_is_bounded(tmp_path):
    path = tmp_path / "h.jsonl"
    history = PromptHistory(path, limit=5)
    for n in range(12):
        history.add(f"p{n}")
    assert history.entries == [f"p{n}" for n in range(7, 12)]
    assert PromptHistory(path, limit=5).entries == history.entries
    assert len(path.read_text().splitlines()) <= 10


async def test_a_large_paste_collapses_to_a_placeholder_and_expands_when_sent(tmp_path):
    app = PromptApp(tmp_path)
    pasted = "\n".join(f"line {n}" for n in range(42))
    async with app.run_test() as pilot:
        await type_text(pilot, "see ")
        app.post_message(events.Paste(pasted))
        await pilot.pause()
        assert app.prompt.text == "see [Pasted text #1 +42 lines]"
        await pilot.press("enter")
        assert app.sent == ["see " + pasted]


async def test_a_small_paste_is_inserted_as_is(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        app.post_message(events.Paste("two\nlines"))
        await pilot.pause()
        assert app.prompt.text == "two\nlines"


async def test_slash_completes_commands_from_the_registry(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("/", "m")
        assert app.menu.is_open
        assert [item.split()[0] for item in app.menu_items()] == ["/model", "/memory"]
        await pilot.press("down", "tab")
        assert app.prompt.text == "/memory "
        assert not app.menu.is_open
        await pilot.press("escape")
        assert app.sent == []


def _git_repo(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "src").mkdir()
    (root / "src" / "widget.py").write_text("")
    (root / "src" / "wizard.py").write_text("")
    (root / "build").mkdir()
    (root / "build" / "widget.py").write_text("")
    (root / "widget.log").write_text("")


async def test_at_mentions_complete_files_and_honour_gitignore(tmp_path):
    _git_repo(tmp_path)
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await type_text(pilot, "look at @widg")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.menu_items() == ["@src/widget.py"], "ignored build/ and *.log are not offered"
        await pilot.press("enter")
        assert app.prompt.text == "look at @src/widget.py "
        assert app.sent == [], "Enter picks the completion, it does not send"
        await type_text(pilot, "and @wzd")
        await pilot.pause()
        assert app.menu_items() == ["@src/wizard.py"], "fuzzy: letters in order"


async def test_at_mentions_offer_folders_and_a_chosen_folder_narrows_the_menu(tmp_path):
    """As in Claude Code, `@` offers folders too ("src/"); choosing one leaves the mention open, and
    the menu goes on with what is in it. An ignored folder (build/) is not offered."""
    _git_repo(tmp_path)
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await type_text(pilot, "see @sr")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.menu_items()[0] == "@src/"
        await pilot.press("tab")
        await pilot.pause()
        assert app.prompt.text == "see @src/"
        assert sorted(app.menu_items()) == ["@src/widget.py", "@src/wizard.py"]
        await type_text(pilot, "bu")
        assert not any(item.startswith("@build") for item in app.menu_items())


async def test_keys_typed_while_the_project_is_indexed_do_not_start_the_walk_again(tmp_path):
    """A fast typist's `@widg` walks the project once; each letter used to cancel the walk and
    start it over, so on a big project the menu stayed empty until the typing stopped."""
    _git_repo(tmp_path)
    app = PromptApp(tmp_path)
    walks = 0
    real_list = app.prompt.file_index._list

    async def counted_list() -> list[str]:
        nonlocal walks
        walks += 1
        await asyncio.sleep(0.3)  # a project big enough that the keys come faster than its walk
        return await real_list()

    app.prompt.file_index._list = counted_list
    async with app.run_test() as pilot:
        await type_text(pilot, "look at @")
        await pilot.press(*"widg")  # a key every 60 ms or so, each while the walk goes on
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert walks == 1
        assert app.menu_items() == ["@src/widget.py"]


def test_file_index_ranks_name_matches_before_path_matches(tmp_path):
    index = FileIndex(tmp_path)
    index.files = ["docs/app/readme.md", "src/app.py", "tests/test_app.py", "zzz/a/p/p.txt"]
    assert index.search("app") == ["src/app.py", "tests/test_app.py", "docs/app/readme.md", "zzz/a/p/p.txt"]


async def test_enter_on_a_command_completion_runs_it(tmp_path):
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("/", "h", "enter")
        assert app.sent == ["/help "]


async def test_keys_typed_faster_than_the_menu_follows_still_run_what_was_typed(tmp_path):
    """Enter can arrive before the menu saw the letters before it (a fast typist, a paste, tmux)."""
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("/")
        assert app.menu_items()[0].startswith("/help")
        app.prompt.insert("mem")  # its Changed message is still queued when Enter is handled
        await app.prompt._on_key(events.Key("enter", None))
        await pilot.pause()
        assert app.sent == ["/memory "], "not the stale first item, /help"
        await pilot.press("/", "m", "down", "enter")
        assert app.sent[-1] == "/memory ", "an item picked with the arrows stays picked"


async def test_editing_keys_typed_in_one_burst_act_in_the_order_typed(tmp_path):
    """Backspace, the arrows and the other keys the prompt binds act where they were typed, not after
    the letters that came behind them (Textual runs a binding once the key has gone up to the app)."""
    app = PromptApp(tmp_path)
    async with app.run_test() as pilot:
        for key, character in (("h", "h"), ("x", "x"), ("backspace", "\x7f"), ("i", "i"), ("left", None),
                               ("left", None), ("o", "o"), ("end", None), ("!", "!")):
            app.post_message(events.Key(key, character))
        await pilot.pause()
        assert app.prompt.text == "ohi!"
