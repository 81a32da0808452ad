"""The diff pane: file changes as syntax-highlighted hunks, unified or side by side.

Hunks come from `claw_tui.core.diffs` (the same ones the approval screen accepts or
rejects), each drawn by one `HunkView` with a few lines of context around it. Colours are
theme variables only (`$diff-added-bg`, `$diff-removed-bg`, `$diff-added`, `$diff-removed`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.highlight import highlight
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.core import events as ev
from claw_tui.core.diffs import FileChange, Hunk, hunks, split_lines

CONTEXT_LINES = 3
MAX_CHANGED_LINES = 120  # removed + added lines drawn per hunk; the rest is counted in a note
MAX_HUNKS_SHOWN = 80
HIGHLIGHT_LIMIT = 200_000  # characters; larger files are shown without syntax colours
SPLIT_MIN_WIDTH = 120

RowKind = Literal["context", "removed", "added"]
ROW_STYLE: dict[RowKind, str] = {
    "context": "",
    "removed": "on $diff-removed-bg",
    "added": "on $diff-added-bg",
}
SIGN: dict[RowKind, tuple[str, str]] = {
    "context": (" ", ""),
    "removed": ("-", "bold $diff-removed"),
    "added": ("+", "bold $diff-added"),
}


def is_binary(text: str | None) -> bool:
    return text is not None and "\x00" in text[:8192]


@functools.lru_cache(maxsize=256)
def language_for(path: str) -> str:
    """Pygments' name for a file's language, from its name alone. Textual's `highlight(path=…)` guesses
    from the content too, which imports every lexer Pygments has (half a second before the first
    diff or approval showed; seconds for a name no lexer claims)."""
    if path.endswith(".tcss"):  # Textual's own CSS, unknown to Pygments
        return "scss"
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_filename(path)
    except ClassNotFound:
        return "text"
    return lexer.aliases[0] if lexer.aliases else lexer.name


def warm_up() -> None:
    """What the first diff loads (Pygments' file-name patterns, compiled once, and a lexer), before an
    approval needs it: on the import thread, at start."""
    highlight("x = 1\n", language=language_for("warm_up.py"))


class HighlightedLines:
    """One side of a change, split into lines of highlighted Content."""

    def __init__(self, text: str | None, path: str) -> None:
        plain = [line.rstrip("\r\n") for line in split_lines(text)]
        self.lines: list[Content] = [Content(line) for line in plain]
        if text and len(text) <= HIGHLIGHT_LIMIT:
            coloured = highlight(text, language=language_for(path)).split("\n")
            if len(coloured) >= len(plain):  # the lexer splits as splitlines does; guard anyway
                self.lines = coloured[: len(plain)]
        self.lines = [line.expand_tabs(4) for line in self.lines]

    def __getitem__(self, index: int) -> Content:
        return self.lines[index]


@dataclass
class DiffRow:
    kind: RowKind
    old: int | None  # 1-based line numbers
    new: int | None
    text: Content


@dataclass
class HunkRows:
    """What one HunkView draws: context before, the change, context after."""

    hunk: Hunk
    before: list[DiffRow] = field(default_factory=list)
    removed: list[DiffRow] = field(default_factory=list)
    added: list[DiffRow] = field(default_factory=list)
    after: list[DiffRow] = field(default_factory=list)
    hidden: int = 0  # changed lines not drawn (cap)

    @property
    def header(self) -> str:
        h = self.hunk
        return f"@@ -{_range(h.a_start, h.a_end)} +{_range(h.b_start, h.b_end)} @@"


def _range(start: int, end: int) -> str:
    """A unified diff's range: 1-based start, except an empty range names the line before it."""
    return f"{start + 1 if end > start else start},{end - start}"


@dataclass
class FileDiff:
    """A FileChange cut into hunks, ready to draw."""

    path: str
    before: str | None
    after: str
    hunks: list[Hunk]
    rows: list[HunkRows]
    binary: bool = False

    @property
    def added_count(self) -> int:
        return sum(len(h.added) for h in self.hunks)

    @property
    def removed_count(self) -> int:
        return sum(len(h.removed) for h in self.hunks)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new file"
        if not self.after and self.before:
            return "emptied"
        return "modified"

    def stats(self) -> Content:
        return Content.assemble(
            (f"+{self.added_count}", "$diff-added"), " ", (f"−{self.removed_count}", "$diff-removed")
        )


def file_diff(path: str, before: str | None, after: str) -> FileDiff:
    if is_binary(before) or is_binary(after):
        return FileDiff(path, before, after, [], [], binary=True)
    found = hunks(before, after)
    old, new = HighlightedLines(before, path), HighlightedLines(after, path)
    rows: list[HunkRows] = []
    for i, hunk in enumerate(found[:MAX_HUNKS_SHOWN]):
        prev_end = found[i - 1].a_end if i else 0
        next_start = found[i + 1].a_start if i + 1 < len(found) else len(old.lines)
        rows.append(_hunk_rows(hunk, old, new, prev_end, next_start))
    return FileDiff(path, before, after, found, rows)


def _hunk_rows(hunk: Hunk, old: HighlightedLines, new: HighlightedLines, prev_end: int, next_start: int) -> HunkRows:
    shift_before = hunk.b_start - hunk.a_start  # unchanged lines keep this offset old → new
    shift_after = hunk.b_end - hunk.a_end
    rows = HunkRows(hunk)
    for i in range(max(prev_end, hunk.a_start - CONTEXT_LINES), hunk.a_start):
        rows.before.append(DiffRow("context", i + 1, i + shift_before + 1, old[i]))
    half = MAX_CHANGED_LINES // 2
    removed = range(hunk.a_start, hunk.a_end)
    added = range(hunk.b_start, hunk.b_end)
    rows.removed = [DiffRow("removed", i + 1, None, old[i]) for i in removed[:half]]
    rows.added = [DiffRow("added", None, i + 1, new[i]) for i in added[:half]]
    rows.hidden = max(0, len(removed) - half) + max(0, len(added) - half)
    for i in range(hunk.a_end, min(next_start, hunk.a_end + CONTEXT_LINES, len(old.lines))):
        rows.after.append(DiffRow("context", i + 1, i + shift_after + 1, old[i]))
    return rows


class HunkView(Widget):
    """One hunk: a label line, then the rows, unified or side by side, padded to the width."""

    DEFAULT_CSS = """
    HunkView {
        height: auto;
        margin-bottom: 1;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    split: reactive[bool] = reactive(False, layout=True)
    label: reactive[str] = reactive("")

    def __init__(self, rows: HunkRows, *, label: str = "", split: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = rows
        self.set_reactive(HunkView.label, label)
        self.set_reactive(HunkView.split, split)
        numbers = [r.old or 0 for r in self._all_rows()] + [r.new or 0 for r in self._all_rows()]
        self._gutter = max(3, len(str(max(numbers, default=0))))

    def _all_rows(self) -> list[DiffRow]:
        r = self.rows
        return [*r.before, *r.removed, *r.added, *r.after]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        r = self.rows
        changed = max(len(r.removed), len(r.added)) if self.split else len(r.removed) + len(r.added)
        return 1 + len(r.before) + changed + len(r.after) + (1 if r.hidden else 0)

    def render(self) -> Content:
        width = max(self.size.width, 20)
        r = self.rows
        label = Content.assemble((self.label + " " if self.label else "", "bold"), (r.header, "$text-muted"))
        lines = [label.truncate(width, pad=True).stylize("on $boost")]
        if self.split:
            half = (width - 1) // 2
            pairs: list[tuple[DiffRow | None, DiffRow | None]] = [(row, row) for row in r.before]
            for k in range(max(len(r.removed), len(r.added))):
                pairs.append((r.removed[k] if k < len(r.removed) else None, r.added[k] if k < len(r.added) else None))
            pairs += [(row, row) for row in r.after]
            for left, right in pairs:
                lines.append(
                    Content.assemble(
                        self._side(left, half, old_side=True),
                        ("│", "$text-muted"),
                        self._side(right, width - half - 1, old_side=False),
                    )
                )
        else:
            for row in self._all_rows():
                lines.append(self._unified(row, width))
        if r.hidden:
            lines.append(Content.styled(f"… {r.hidden} more changed lines not shown", "italic $text-muted"))
        return Content("\n").join(lines)

    def _unified(self, row: DiffRow, width: int) -> Content:
        old = str(row.old) if row.old is not None else ""
        new = str(row.new) if row.new is not None else ""
        sign, sign_style = SIGN[row.kind]
        line = Content.assemble(
            (f"{old:>{self._gutter}} {new:>{self._gutter}} ", "$text-muted"), (sign, sign_style), " ", row.text
        )
        return line.truncate(width, pad=True).stylize_before(ROW_STYLE[row.kind])

    def _side(self, row: DiffRow | None, width: int, *, old_side: bool) -> Content:
        if row is None:
            return Content(" " * width)
        number = row.old if old_side else row.new
        kind: RowKind = row.kind
        sign, sign_style = SIGN[kind]
        line = Content.assemble(
            (f"{number if number is not None else '':>{self._gutter}} ", "$text-muted"), (sign, sign_style), " ", row.text
        )
        return line.truncate(width, pad=True).stylize_before(ROW_STYLE[kind])


def file_header(diff: FileDiff) -> Content:
    kind = "" if diff.kind == "modified" else f" ({diff.kind})"
    hunk_word = "hunk" if len(diff.hunks) == 1 else "hunks"
    return Content.assemble(
        (diff.path, "bold"), (kind, "$text-muted"), "  ", diff.stats(), (f"  {len(diff.hunks)} {hunk_word}", "$text-muted")
    )


def file_body(diff: FileDiff, *, split: bool) -> list[Widget]:
    """The widgets that show one file's diff in the diff pane."""
    widgets: list[Widget] = [Static(file_header(diff), classes="diff-file-header")]
    if diff.binary:
        widgets.append(Static("Binary file; its contents are not shown.", classes="diff-note"))
    elif not diff.hunks:
        widgets.append(Static("No changes.", classes="diff-note"))
    widgets += [HunkView(rows, split=split) for rows in diff.rows]
    if len(diff.hunks) > len(diff.rows):
        widgets.append(Static(f"… {len(diff.hunks) - len(diff.rows)} more hunks not shown", classes="diff-note"))
    return widgets


class DiffView(Vertical):
    """The change under review or last applied; `/diff` shows the session's changes here.

    Several files: a list on top, selecting one shows its diff. `s` switches between
    unified and side by side (automatic until pressed: side by side from 120 columns).
    """

    DEFAULT_CSS = """
    DiffView {
        height: 1fr;
    }
    DiffView #diff-title {
        height: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DiffView #diff-files {
        height: auto;
        max-height: 6;
        border: none;
        display: none;
    }
    DiffView.-many #diff-files {
        display: block;
    }
    DiffView #diff-body {
        height: 1fr;
    }
    DiffView .diff-file-header {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DiffView .diff-note {
        color: $text-muted;
        text-style: italic;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "toggle_split", "split", tooltip="Side by side or unified diff")]

    EMPTY = "No changes yet. Edits show here as they happen; /diff shows the whole session."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.changes: list[FileDiff] = []
        self.title = ""
        self.selected = 0
        self._live_call: str | None = None  # the call whose FileChanged events are being gathered
        self._split_choice: bool | None = None  # None: decided by width

    def compose(self) -> ComposeResult:
        yield Static(id="diff-title")
        yield OptionList(id="diff-files")
        with VerticalScroll(id="diff-body"):
            yield Static(self.EMPTY, classes="diff-note")

    # --- public API -----------------------------------------------------------------------

    def handle_event(self, event: Any) -> None:
        if not isinstance(event, ev.FileChanged):
            return
        if event.call_id != self._live_call:
            self._live_call = event.call_id
            self.changes = []
        entry = file_diff(event.path, event.before, event.after)
        index = next((i for i, d in enumerate(self.changes) if d.path == event.path), None)
        if index is None:
            self.changes.append(entry)
            index = len(self.changes) - 1
        else:
            self.changes[index] = entry
        self.title = "Last change"
        self._refresh_files(select=index)

    def show_changes(self, changes: Sequence[FileChange], title: str) -> None:
        self._live_call = None
        self.changes = [file_diff(str(c.path), c.before, c.after) for c in changes]
        self.title = title
        self._refresh_files(select=0)

    @property
    def split(self) -> bool:
        if self._split_choice is not None:
            return self._split_choice
        return self.size.width >= SPLIT_MIN_WIDTH

    def action_toggle_split(self) -> None:
        self._split_choice = not self.split
        self._apply_split()

    # --- drawing --------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self._split_choice is None:
            self._apply_split()

    def _apply_split(self) -> None:
        split = self.split
        for view in self.query(HunkView):
            view.split = split

    def _refresh_files(self, *, select: int) -> None:
        files = self.query_one("#diff-files", OptionList)
        files.set_options(
            Option(Content.assemble(_kind_mark(d), " ", d.path, "  ", d.stats()), id=f"file-{i}")
            for i, d in enumerate(self.changes)
        )
        self.set_class(len(self.changes) > 1, "-many")
        total_added = sum(d.added_count for d in self.changes)
        total_removed = sum(d.removed_count for d in self.changes)
        files_word = "file" if len(self.changes) == 1 else "files"
        self.query_one("#diff-title", Static).update(
            Content.assemble(
                (self.title, "bold"),
                f" · {len(self.changes)} {files_word} · ",
                (f"+{total_added}", "$diff-added"),
                " ",
                (f"−{total_removed}", "$diff-removed"),
            )
        )
        if self.changes:
            files.highlighted = select
        self.show_file(select)

    def show_file(self, index: int) -> None:
        body = self.query_one("#diff-body", VerticalScroll)
        self.selected = index
        widgets: list[Widget] = (
            file_body(self.changes[index], split=self.split)
            if 0 <= index < len(self.changes)
            else [Static(self.EMPTY, classes="diff-note")]
        )
        with self.app.batch_update():
            body.remove_children()
            body.mount_all(widgets)
            body.scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index != self.selected:
            self.show_file(event.option_index)


def _kind_mark(diff: FileDiff) -> tuple[str, str]:
    return {"new file": ("A", "$diff-added"), "emptied": ("D", "$diff-removed")}.get(diff.kind, ("M", "$warning"))

