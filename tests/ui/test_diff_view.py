"""The diff pane: hunks with context and line numbers, unified or side by side, several files."""

from __future__ import annotations

from pathlib import Path

from snapshots.pane_harness import APP_PY_AFTER, APP_PY_BEFORE, PaneApp, diff_events
from textual.widgets import OptionList, Static

from claw_tui.core import events as ev
from claw_tui.core.diffs import FileChange
from claw_tui.ui.widgets import diff_view
from claw_tui.ui.widgets.diff_view import DiffView, HunkView, file_diff


def drawn(view: HunkView) -> list[str]:
    return [line.rstrip() for line in view.render().plain.splitlines()]


def headers(pane: DiffView) -> list[str]:
    return [str(s.render().plain) for s in pane.query(".diff-file-header").results(Static)]


async def test_unified_hunks_with_context_and_line_numbers():
    app = PaneApp(DiffView, diff_events()[:1])
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        pane = app.pane
        views = list(pane.query(HunkView))
        assert len(views) == 2
        assert not views[0].split
        lines = drawn(views[0])
        assert lines[0] == "@@ -6,2 +6,2 @@"
        # Three lines of context before, the change, three after; old and new line numbers.
        assert lines[1] == "  3   3   import sys"
        assert lines[4] == "  6     - def greet(name):"
        assert lines[6] == "      6 + def greet(name: str) -> str:"
        assert lines[-1] == " 10  10   def main():"
        assert headers(pane) == ["src/app.py  +3 −3  2 hunks"]
        assert pane.query_one("#diff-title", Static).render().plain == "Last change · 1 file · +3 −3"


async def test_s_toggles_side_by_side_and_wide_panes_start_split():
    app = PaneApp(DiffView, diff_events()[:1])
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        app.pane.query_one("#diff-body").focus()
        await pilot.press("s")
        await pilot.pause()
        view = app.pane.query(HunkView).first()
        assert view.split
        row = drawn(view)[4]
        left, right = row.split("│")
        assert left.strip() == "6 - def greet(name):"
        assert right.strip() == "6 + def greet(name: str) -> str:"
        await pilot.press("s")
        assert not view.split

    wide = PaneApp(DiffView, diff_events()[:1])
    async with wide.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        assert all(v.split for v in wide.pane.query(HunkView))


async def test_several_files_get_a_list_and_selecting_one_shows_it():
    app = PaneApp(DiffView, diff_events())
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        pane = app.pane
        files = pane.query_one("#diff-files", OptionList)
        assert pane.has_class("-many") and files.display
        assert [files.get_option_at_index(i).prompt.plain for i in range(2)] == [  # type: ignore[union-attr]
            "M src/app.py  +3 −3",
            "A README.md  +3 −0",
        ]
        assert headers(pane) == ["README.md (new file)  +3 −0  1 hunk"]  # the latest change
        files.focus()
        await pilot.press("up")
        await pilot.pause()
        assert headers(pane) == ["src/app.py  +3 −3  2 hunks"]
        # A new call's change replaces the gathered ones.
        pane.handle_event(ev.FileChanged(call_id="c7", path="b.txt", before="x\n", after="y\n", ts=0))
        await pilot.pause()
        assert not pane.has_class("-many")
        assert headers(pane) == ["b.txt  +1 −1  1 hunk"]


async def test_show_changes_binary_and_unchanged_files():
    app = PaneApp(DiffView)
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.pane
        pane.show_changes(
            [FileChange(Path("logo.png"), "\x89PNG\x00\x01", "\x89PNG\x00\x02"), FileChange(Path("same.txt"), "a\n", "a\n")],
            "Session changes",
        )
        await pilot.pause()
        assert pane.query_one("#diff-title", Static).render().plain.startswith("Session changes · 2 files")
        notes = [s.render().plain for s in pane.query(".diff-note").results(Static)]
        assert notes == ["Binary file; its contents are not shown."]
        pane.show_file(1)
        await pilot.pause()
        assert [s.render().plain for s in pane.query(".diff-note").results(Static)] == ["No changes."]


def test_long_hunks_are_capped_with_a_count(monkeypatch):
    monkeypatch.setattr(diff_view, "MAX_CHANGED_LINES", 10)
    before = "".join(f"old {i}\n" for i in range(40))
    after = "".join(f"new {i}\n" for i in range(40))
    diff = file_diff("big.txt", before, after)
    rows = diff.rows[0]
    assert len(rows.removed) == 5 and len(rows.added) == 5
    assert rows.hidden == 70
    view = HunkView(rows)
    assert view.render().plain.splitlines()[-1] == "… 70 more changed lines not shown"


def test_context_stops_at_the_neighbouring_hunk():
    diff = file_diff("x.py", APP_PY_BEFORE, APP_PY_AFTER)
    first, second = diff.rows
    assert [r.old for r in first.after] == [8, 9, 10]
    assert [r.old for r in second.before] == [13, 14, 15]
    assert second.after == []  # the change is on the last line
