"""The session browser and the rewind picker, driven with Pilot over a real SessionStore."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from keyboard import type_text
from snapshots.sessions_harness import (
    DAY,
    HOUR,
    NOW,
    HostApp,
    assistant,
    browser_app,
    rewind_app,
    search,
    settle,
)
from textual.content import Content

from claw_tui.core.transcript import Message, interruption, user_text
from claw_tui.engine.sessions import SessionStore
from claw_tui.ui.screens.rewind import RewindPicker, user_prompts
from claw_tui.ui.screens.sessions import (
    HIT_STYLE,
    LIST_LIMIT,
    PREVIEW_MESSAGES,
    BrowserResult,
    ConfirmDelete,
    HitList,
    PreviewList,
    SessionBrowser,
    SessionTable,
    message_prompt,
    relative_time,
    snippet_content,
)

SIZE = (160, 40)


def table_ids(app: HostApp) -> list[str]:
    table = app.screen.query_one(SessionTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cells(app: HostApp, row: int) -> list[str]:
    table = app.screen.query_one(SessionTable)
    return [str(cell).strip() for cell in table.get_row_at(row)]


def status(app: HostApp) -> str:
    return str(app.screen.query_one("#browser-status").render())


def highlighted_spans(content: Content, style: str) -> list[str]:
    return [content.plain[span.start : span.end] for span in content.spans if span.style == style]


# --- pure helpers --------------------------------------------------------------------------------


def test_relative_time_reads_like_a_person():
    assert relative_time(NOW - 20, NOW) == "just now"
    assert relative_time(NOW - 5 * 60, NOW) == "5 min ago"
    assert relative_time(NOW - 2 * HOUR, NOW) == "2 h ago"
    assert relative_time(NOW - 3 * DAY, NOW) == "3 d ago"
    assert relative_time(NOW - 20 * DAY, NOW) == "2 wk ago"
    assert relative_time(NOW - 90 * DAY, NOW) == "3 mo ago"
    assert relative_time(NOW - 800 * DAY, NOW) == "2 y ago"
    assert relative_time(NOW + 50, NOW) == "just now"  # a clock a little behind another process


def test_snippet_highlights_the_marked_terms_on_one_line():
    content = snippet_content("…the «parser» re-scans\nthe «parse» tree…")
    assert content.plain == "…the parser re-scans the parse tree…"
    assert highlighted_spans(content, HIT_STYLE) == ["parser", "parse"]


# --- the list ------------------------------------------------------------------------------------


async def test_lists_this_projects_sessions_newest_first_with_their_columns():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table_ids(app) == [b.ids["count"], b.ids["json"], b.ids["tokenizer"], b.ids["config"]]
        assert cells(app, 0) == [
            "Fix the off-by-one in count_lines, please.",
            "2 h ago",
            "claude-sonnet-4-5",
            "$0.42",
            "8",
        ]
        assert cells(app, 1)[1:] == ["1 d ago", "gpt-5", "$1.17", "4"]
        assert cells(app, 2)[1:] == ["5 d ago", "llama3", "?", "2"]  # no known price
        assert cells(app, 3)[1:4] == ["2 wk ago", "claude-sonnet-4-5", "<$0.01"]
        assert status(app) == "4 sessions."
        # The preview shows the highlighted session, its last message highlighted.
        preview = app.screen.query_one(PreviewList)
        assert preview.get_option_at_index(preview.highlighted).id == "7"
        assert "Added `test_empty_string`" in preview.get_option_at_index(preview.highlighted).prompt.plain
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.selected == b.ids["json"]
        assert [o.id for o in preview.options] == ["0", "1", "2", "3"]


async def test_enter_resumes_and_escape_closes():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.results == [BrowserResult("resume", b.ids["json"])]
        assert not isinstance(app.screen, SessionBrowser)
    app = browser_app().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None]


async def test_all_projects_toggle_by_key_and_by_click():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert table_ids(app) == [
            b.ids["readme"],
            b.ids["count"],
            b.ids["json"],
            b.ids["tokenizer"],
            b.ids["config"],
        ]
        assert cells(app, 0)[-1] == "~/other"
        assert cells(app, 1)[-1] == "~/project"
        assert "all projects" in str(app.screen.query_one("#browser-title").render())
        await pilot.click("#browser-scope", offset=(3, 0))
        await settle(pilot)
        assert table_ids(app) == [b.ids["count"], b.ids["json"], b.ids["tokenizer"], b.ids["config"]]
        assert app.screen.all_projects is False


async def test_all_projects_can_be_the_starting_scope():
    b = browser_app(all_projects=True)
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(table_ids(app)) == 5


async def test_an_empty_project_says_so():
    home = Path(os.environ["HOME"])
    store = SessionStore.open(home / "data" / "empty.db")
    (home / "empty").mkdir()
    app = HostApp(lambda: SessionBrowser(store, home / "empty", clock=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table_ids(app) == []
        assert "No sessions in this project yet" in status(app)
        await pilot.press("f", "r", "e", "d")  # nothing to act on: no error, no screen
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
        assert list(home.joinpath("empty").iterdir()) == []


# --- filter and search ---------------------------------------------------------------------------


async def test_typing_filters_titles_at_once():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "JSON")
        await pilot.pause()
        assert table_ids(app) == [b.ids["json"]]
        assert status(app) == "1 of 4 sessions have the words in their title."
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert len(table_ids(app)) == 4


async def test_full_text_search_shows_highlighted_hits_and_resumes_one():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "parser")
        screen = app.screen
        assert table_ids(app) == []  # no title says parser
        assert {(h.session_id, h.message_index) for h in screen.hits} == {
            (b.ids["json"], 1),
            (b.ids["tokenizer"], 1),
        }
        assert "2 messages match parser" in str(screen.query_one("#hits-label").render())
        hits = screen.query_one(HitList)
        for index in range(hits.option_count):
            assert highlighted_spans(hits.get_option_at_index(index).prompt, HIT_STYLE) == ["parser"]
        # With no title match, the preview shows the first hit's message.
        first = screen.hits[0]
        assert screen.selected == first.session_id
        preview = screen.query_one(PreviewList)
        assert preview.get_option_at_index(preview.highlighted).id == str(first.message_index)
        await pilot.press("enter")  # the filter box hands over to the hits
        assert hits.has_focus
        await pilot.press("down")
        await settle(pilot)
        assert screen.selected == screen.hits[1].session_id
        await pilot.press("enter")
        await settle(pilot)
        assert app.results == [BrowserResult("resume", screen.hits[1].session_id)]


async def test_search_covers_every_project_when_toggled_and_prefix_matches():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "pars")
        assert {h.session_id for h in app.screen.hits} == {b.ids["json"], b.ids["tokenizer"]}
        await pilot.press("escape", "a")  # out of the filter box, then all projects
        for _ in range(100):
            if len(app.screen.hits) == 4:
                break
            await pilot.pause(0.05)
        assert {h.session_id for h in app.screen.hits} == {b.ids["json"], b.ids["tokenizer"], b.ids["readme"]}


async def test_search_input_that_is_fts_syntax_finds_nothing_instead_of_failing():
    app = browser_app().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, 'NEAR(zzz "')
        assert app.screen.hits == []
        assert "No message matches" in str(app.screen.query_one("#hits-label").render())
        assert "error" not in status(app).lower()


# --- actions -------------------------------------------------------------------------------------


async def test_rename_inline_prefilled_then_saved():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        field = app.screen.query_one("#rename-input")
        assert field.has_focus and field.value == "Fix the off-by-one in count_lines, please."
        await pilot.press("ctrl+u")
        await pilot.press("enter")
        assert "cannot be empty" in status(app)
        assert b.store.get(b.ids["count"]).title == "Fix the off-by-one in count_lines, please."
        await type_text(pilot, "count_lines fix", "enter")
        await settle(pilot)
        assert b.store.get(b.ids["count"]).title == "count_lines fix"
        assert cells(app, 0)[0] == "count_lines fix"
        assert not app.screen.has_class("-renaming")
        assert app.screen.query_one(SessionTable).has_focus


async def test_rename_escape_keeps_the_title():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "x", "escape")
        await settle(pilot)
        assert b.store.get(b.ids["count"]).title == "Fix the off-by-one in count_lines, please."
        assert isinstance(app.screen, SessionBrowser)  # Esc left the rename, not the browser
        assert status(app) == "Rename cancelled."


async def test_delete_asks_and_n_keeps_y_deletes():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")
        await settle(pilot)
        assert b.store.get(b.ids["count"]) is not None
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert b.store.get(b.ids["count"]) is None
        assert b.store.messages(b.ids["count"]) == []
        assert table_ids(app) == [b.ids["json"], b.ids["tokenizer"], b.ids["config"]]
        assert app.screen.selected == b.ids["json"]
        assert status(app).startswith("Deleted")


async def test_the_open_session_is_marked_and_cannot_be_deleted():
    b = browser_app()
    app = b.app
    app.make_screen = lambda: SessionBrowser(
        b.store, b.project, clock=lambda: NOW, current_session=b.ids["count"]
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one(SessionTable).get_row_at(0)[0]).startswith("● ")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
        assert "cannot be deleted while it is open" in status(app)
        assert b.store.get(b.ids["count"]) is not None


async def test_fork_from_a_message_picked_in_the_preview():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        preview = app.screen.query_one(PreviewList)
        assert preview.has_focus and app.screen.picking
        assert "Fork: pick the last message to keep" in status(app)
        # Tool-result messages (2 and 4) are not offered: messages 7, 6, then 5.
        await pilot.press("up", "up", "enter")
        await settle(pilot)
    assert app.results == [BrowserResult("fork", b.ids["count"], 5)]
    new_id = b.store.fork(b.ids["count"], 5)
    assert [m.text for m in b.store.messages(new_id)][-1].startswith("Fixed: count_lines")


async def test_escape_cancels_picking_a_fork_point():
    app = browser_app().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", "escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
        assert not app.screen.picking
        assert app.screen.query_one(SessionTable).has_focus
        assert status(app) == "4 sessions."


async def test_export_writes_markdown_into_the_project_and_says_where():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        path = b.project / f"claw-session-{b.ids['count']}.md"
        assert path.is_file()
        text = path.read_text()
        assert text.startswith("# Fix the off-by-one in count_lines, please.")
        assert "Now add a test for the empty string." in text
        assert status(app) == f"Exported to {path}"


async def test_export_into_a_missing_folder_is_a_clear_error():
    b = browser_app()
    app = b.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shutil.rmtree(b.project)
        await pilot.press("e")
        await settle(pilot)
        assert status(app).startswith(
            f"Cannot write {b.project / ('claw-session-' + b.ids['count'] + '.md')}"
        )
        assert isinstance(app.screen, SessionBrowser)


async def test_preview_renders_at_most_the_last_messages():
    home = Path(os.environ["HOME"])
    store = SessionStore.open(home / "data" / "long.db")
    project = home / "long"
    project.mkdir()
    messages: list[Message] = []
    for turn in range(225):
        messages += [user_text(f"question {turn}"), assistant(f"answer {turn}")]
    store.import_session(project, messages, models=["anthropic/claude-sonnet-4-5"], updated=NOW - 60)
    app = HostApp(lambda: SessionBrowser(store, project, clock=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        preview = app.screen.query_one(PreviewList)
        assert preview.option_count == PREVIEW_MESSAGES + 1
        note = preview.get_option_at_index(0)
        assert note.disabled and note.prompt.plain == "… 250 earlier messages not shown"
        assert preview.get_option_at_index(1).id == "250"
        assert preview.get_option_at_index(preview.highlighted).id == "449"
        for _ in range(100):  # the scroll happens after a refresh, which a loaded machine delays
            if preview.scroll_y == preview.max_scroll_y > 0:
                break
            await pilot.pause(0.05)
        assert preview.scroll_y == preview.max_scroll_y > 0  # scrolled to the latest message


# --- rewind ----------------------------------------------------------------------------------------


async def test_rewind_picker_lists_the_prompts_and_returns_an_index():
    app = rewind_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        options = app.screen.query_one("#rewind-list")
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["0", "6"]
        assert options.get_option_at_index(options.highlighted).id == "6"  # the latest prompt
        assert "drops 2 messages" in options.get_option_at_index(1).prompt.plain
        await pilot.press("up", "enter")
        await settle(pilot)
        assert app.results == [0]
    app = rewind_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")  # closing the host screen afterwards does nothing more
        assert app.results == [6]


async def test_rewind_picker_with_nothing_to_rewind():
    app = HostApp(lambda: RewindPicker([assistant("hello")]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        options = app.screen.query_one("#rewind-list")
        assert "Nothing to rewind" in options.get_option_at_index(0).prompt.plain
        await pilot.press("enter")
        await settle(pilot)
        assert app.results == []
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None]


def test_a_stopped_turn_is_no_rewind_point():
    """The marker a cancel leaves is a user message, but nobody typed it: only the prompts are offered."""
    messages = [user_text("first"), assistant("cut"), interruption(during_tool_use=False), user_text("second")]
    assert user_prompts(messages) == [0, 3]
    assert message_prompt(2, messages[2]).plain == "▍Interrupted  #3", "the preview says so, not 'You: [Request…]'"


async def test_rewind_picker_scrolls_to_the_latest_of_many_prompts():
    messages: list[Message] = []
    for turn in range(40):
        messages += [user_text(f"prompt {turn}"), assistant(f"answer {turn}")]
    app = HostApp(lambda: RewindPicker(messages, clock=lambda: NOW))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        options = app.screen.query_one("#rewind-list")
        assert options.get_option_at_index(options.highlighted).id == "78"
        assert options.scroll_y == options.max_scroll_y > 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.results == [78]


async def test_a_broken_database_is_a_message_not_a_traceback():
    b = browser_app()
    with sqlite3.connect(b.store.path) as other:
        other.execute("DROP TABLE sessions")
    async with b.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(b.app.screen, SessionBrowser)
        assert table_ids(b.app) == []
        assert status(b.app) == "Session database error: no such table: sessions."
        await search(pilot, "parser")
        assert status(b.app) == "Session database error: no such table: sessions."


async def test_a_hit_in_a_session_older_than_the_list_still_previews():
    home = Path(os.environ["HOME"])
    store = SessionStore.open(home / "data" / "many.db")
    project = home / "many"
    project.mkdir()
    old = store.import_session(project, [user_text("the zebra session")], updated=NOW - 90 * DAY)
    for n in range(LIST_LIMIT):
        store.import_session(project, [user_text(f"session {n}")], updated=NOW - n)
    app = HostApp(lambda: SessionBrowser(store, project, clock=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert old not in table_ids(app)
        assert status(app) == f"{LIST_LIMIT} sessions (the latest {LIST_LIMIT})."
        await search(pilot, "zebra")
        assert app.screen.selected == old
        assert app.screen.query_one("#browser-preview").border_title == "the zebra session"


async def test_a_hit_far_back_in_a_long_session_is_previewed_around_it():
    home = Path(os.environ["HOME"])
    store = SessionStore.open(home / "data" / "long.db")
    project = home / "long"
    project.mkdir()
    messages: list[Message] = []
    for turn in range(225):
        messages += [user_text("the aardvark question" if turn == 5 else f"question {turn}"), assistant("ok")]
    store.import_session(project, messages, updated=NOW - 60)
    app = HostApp(lambda: SessionBrowser(store, project, clock=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "aardvark")
        preview = app.screen.query_one(PreviewList)
        assert preview.get_option_at_index(preview.highlighted).id == "10"
        assert preview.get_option_at_index(0).id == "0"  # the window starts at the top
        last = preview.get_option_at_index(preview.option_count - 1)
        assert last.disabled and last.prompt.plain == "… 250 later messages not shown"
