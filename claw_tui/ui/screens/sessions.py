"""The session browser (/sessions, /resume, `claw sessions`): find a past session and go back to it.

The list holds this project's sessions, newest first, or every project's (`a`). The filter box
narrows the titles at each key and, once typing pauses, searches the text of every message
(FTS5) in a thread worker, so typing never waits for the database. The preview shows the
highlighted session's last messages as plain text; choosing one of them forks from there.
Resume and fork go back to the caller as a `BrowserResult`; rename, export and delete happen here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.core.home_paths import short_path
from claw_tui.core.transcript import ImageBlock, Message
from claw_tui.engine.session_io import export_markdown
from claw_tui.engine.sessions import SearchHit, SessionInfo, SessionStore, StoreError
from claw_tui.ui.widgets.footer import HintFooter
from claw_tui.ui.workers import ReportsWorkerFailures

LIST_LIMIT = 500


def busy_hint(exc: StoreError) -> str:
    """What the user can do about a session another claw has open: view it read-only, or fork it."""
    from claw_tui.engine.session_lock import SessionBusy

    if isinstance(exc, SessionBusy):
        return "/sessions shows it read-only (the preview); press f there to fork it and go on in a copy."
    return ""
SEARCH_LIMIT = 50
SEARCH_DEBOUNCE = 0.15  # seconds of quiet typing before the full-text search runs
PREVIEW_MESSAGES = 200  # the preview renders at most this many messages
PREVIEW_LINES = 6  # lines of text shown per message in the preview
PREVIEW_CHARS = 600
HIT_STYLE = "bold $text-accent on $accent 25%"

_UNITS = (
    (60, 1, ""),
    (3600, 60, "min"),
    (86400, 3600, "h"),
    (14 * 86400, 86400, "d"),
    (61 * 86400, 7 * 86400, "wk"),
    (365 * 86400, 30 * 86400, "mo"),
)


@dataclass(frozen=True)
class BrowserResult:
    """What the user chose: resume a session, or fork it keeping messages 0..message_index."""

    action: Literal["resume", "fork"]
    session_id: str
    message_index: int | None = None


def relative_time(ts: float, now: float) -> str:
    """ "2 h ago" rather than a date: no time zone, and what a person wants to know at a glance."""
    seconds = max(0.0, now - ts)
    for limit, unit, label in _UNITS:
        if seconds < limit:
            return "just now" if not label else f"{int(seconds // unit)} {label} ago"
    return f"{int(seconds // (365 * 86400))} y ago"




def snippet_content(snippet: str) -> Content:
    """A search snippet on one line, with the parts FTS5 marked «like this» highlighted."""
    rest = " ".join(snippet.split())
    parts: list[str | tuple[str, str]] = []
    while "«" in rest:
        before, _, after = rest.partition("«")
        hit, _, rest = after.partition("»")
        parts += [before, (hit, HIT_STYLE)]
    parts.append(rest)
    return Content.assemble(*parts)


def model_label(models: list[str]) -> str:
    """The last model used, without its provider; "+N" when the session used several."""
    if not models:
        return "—"
    name = models[-1].split("/", 1)[-1]
    return name if len(models) == 1 else f"{name} +{len(models) - 1}"


def cost_label(info: SessionInfo) -> str:
    """≥ marks a lower bound and ? an unknown cost: some usage had no known price."""
    if info.cost_usd == 0:
        return "?" if info.cost_partial else "—"
    text = "<$0.01" if 0 < info.cost_usd < 0.01 else f"${info.cost_usd:.2f}"
    return f"≥{text}" if info.cost_partial else text


def message_prompt(index: int, message: Message) -> Content | None:
    """One message of the preview as text; None for a user message that only carries tool results."""
    text = message.text.strip()
    calls = [use.name for use in message.tool_uses]
    images = sum(isinstance(b, ImageBlock) for b in message.content)
    if message.role == "user" and not text and not images and not message.is_compaction_summary:
        return None
    # The colour is on a bar, not on the words, so a highlighted option stays readable.
    if message.is_compaction_summary:
        bar, label = "$warning", "Summary of earlier messages"
    elif message.is_interruption:  # the answer above was cut by the user
        return Content.assemble(("▍", "$warning"), ("Interrupted", "bold"), (f"  #{index + 1}", "dim"))
    elif message.role == "user":
        bar, label = "$primary", "You"
    else:
        bar, label = "$success", "Assistant"
    header: list[str | tuple[str, str]] = [("▍", bar), (label, "bold"), (f"  #{index + 1}", "dim")]
    if message.model:
        header.append((f"  {message.model.split('/', 1)[-1]}", "dim"))
    body: list[str | tuple[str, str]] = []
    if text:
        lines = text[:PREVIEW_CHARS].splitlines()
        clipped = len(lines) > PREVIEW_LINES or len(text) > PREVIEW_CHARS
        body.append("\n" + "\n".join(lines[:PREVIEW_LINES]) + (" …" if clipped else ""))
    if images:
        body.append(("\n[image]" if images == 1 else f"\n[{images} images]", "dim"))
    if calls:
        body.append((f"\n⚙ {', '.join(calls)}", "dim"))
    if not body:
        body.append(("\n(no text)", "dim"))
    return Content.assemble(*header, *body)


class SessionTable(DataTable[str | Content]):
    """The session list; Enter resumes the highlighted session."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "resume")]


class HitList(OptionList):
    """Messages that match the search; Enter resumes the session the highlighted one is in."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "resume")]


class PreviewList(OptionList):
    """The highlighted session's messages; Enter forks from the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "fork from here")]
    _scroll_top: bool | None = None  # a scroll to the highlight that waits for the list to have a height

    def scroll_to_highlight_once_shown(self, top: bool) -> None:
        """Scroll to the highlighted message now, or when the list first gets a height (a new pane's
        layout can come after the options do; OptionList gives up on a list of height 0)."""
        self._scroll_top = top
        self._scroll_if_shown()

    def on_resize(self) -> None:
        self._scroll_if_shown()

    def _scroll_if_shown(self) -> None:
        if self._scroll_top is not None and self.scrollable_content_region:
            self.scroll_to_highlight(top=self._scroll_top)
            self._scroll_top = None


class ConfirmDelete(ModalScreen[bool]):
    """Deleting is for good, so it asks once, naming the session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "delete"),
        Binding("n,escape", "answer(False)", "keep"),
    ]

    def __init__(self, info: SessionInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(id="confirm-dialog") as dialog:
            dialog.border_title = "Delete session"
            yield Static(
                Content.assemble(
                    "Delete ",
                    (f"“{info.title or 'Untitled'}”", "bold"),
                    f" ({info.message_count} messages)? Its messages, events and file checkpoints "
                    "are removed for good.",
                )
            )
            yield Static(
                Content.assemble(("y", "bold $text-error"), " delete   ", ("n", "bold"), " keep"),
                id="confirm-keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SessionBrowser(ReportsWorkerFailures, Screen[BrowserResult | None]):
    """Browse, search, resume, fork, rename, export and delete sessions."""

    CSS_PATH = "sessions.tcss"
    AUTO_FOCUS = "#sessions-table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]  # noqa: RUF012 (Textual types it per instance)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "search", show=False, tooltip="Filter titles and search message text"),
        Binding("f", "fork", "fork", tooltip="Fork: pick a message in the preview to fork from"),
        Binding("r", "rename", "rename", tooltip="Rename the session"),
        Binding("e", "export", "export", tooltip="Export the session as Markdown into the project"),
        Binding("d", "delete", "delete", tooltip="Delete the session (asks first)"),
        Binding("a", "toggle_all", "projects", tooltip="This project's sessions or every project's"),
        Binding("escape", "back", "close"),
        Binding("down", "to_results", show=False),
    ]

    def __init__(
        self,
        store: SessionStore,
        project: Path,
        *,
        all_projects: bool = False,
        current_session: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.store = store
        self.project = Path(project)
        self.all_projects = all_projects
        # The session open in the app: marked in the list, and not deletable from here.
        self.current_session = current_session
        self.clock = clock
        self.sessions: list[SessionInfo] = []
        self.hits: list[SearchHit] = []
        self.selected: str | None = None  # the session in the preview, which the actions act on
        self.picking = False  # f was pressed: the next Enter in the preview forks
        self.shown_query = ""  # the query whose search results are on screen
        self._search_timer: Timer | None = None
        self._table_width = 0
        self._list_error: str | None = None  # why the list could not be read, kept on the status line

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="browser-top"):
            yield Static(id="browser-title")
            yield Static(id="browser-scope")
        yield Input(placeholder="Filter titles · search messages   ( / )", id="browser-filter", compact=True)
        with Horizontal(id="browser-body"):
            with Vertical(id="browser-lists"):
                yield SessionTable(
                    id="sessions-table", cursor_type="row", cursor_foreground_priority="renderable"
                )
                with Horizontal(id="rename-row"):
                    yield Static("Title: ", id="rename-label")
                    yield Input(id="rename-input", compact=True)
                yield Static(id="hits-label")
                yield HitList(id="hits-list")
            with Vertical(id="browser-preview"):
                yield PreviewList(id="preview-list")
        yield Static(id="browser-status")
        yield HintFooter(compact=True)

    def on_mount(self) -> None:
        self._show_header()
        self.call_after_refresh(self.reload)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.query_one(SessionTable).size.width != self._table_width:
            self._fill_table(self.selected)

    def _show_header(self) -> None:
        where = "all projects" if self.all_projects else short_path(self.project)
        self.query_one("#browser-title", Static).update(
            Content.assemble(("Sessions", "bold"), "  ", (where, "dim"))
        )
        on, off = "bold $text-primary", "dim"
        here, everywhere = (off, on) if self.all_projects else (on, off)
        self.query_one("#browser-scope", Static).update(
            Content.from_markup(
                f"[@click=screen.toggle_all][{here}] this project [/][dim]│[/][{everywhere}] all projects [/][/]"
                "  [dim]a[/]"
            )
        )

    # --- the list -------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the list again (after a toggle, rename or delete) and keep the selection if it is still there."""
        self._list_error = None
        try:
            self.sessions = self.store.list(None if self.all_projects else self.project, limit=LIST_LIMIT)
        except StoreError as exc:
            self.sessions = []
            self._list_error = str(exc)
        self._fill_table(select or self.selected)

    def shown_sessions(self) -> list[SessionInfo]:
        """The loaded sessions whose title (or id) holds every word typed in the filter."""
        words = self.query_one("#browser-filter", Input).value.lower().split()
        return [s for s in self.sessions if all(w in s.title.lower() or s.id.startswith(w) for w in words)]

    def _fill_table(self, select: str | None = None) -> None:
        table = self.query_one(SessionTable)
        shown = self.shown_sessions()
        now = self.clock()
        # A narrow table keeps its room for the titles.
        model_most = 22 if table.size.width >= 90 else max(8, table.size.width // 6)
        # (label, least width, most width, right-aligned, one text per shown session)
        columns = [
            ("updated", 8, 12, False, [relative_time(s.updated, now) for s in shown]),
            ("model", 5, model_most, False, [model_label(s.models) for s in shown]),
            ("cost", 4, 9, True, [cost_label(s) for s in shown]),
            ("msgs", 4, 6, True, [str(s.message_count) for s in shown]),
        ]
        if self.all_projects:
            columns.append(("project", 7, 24, False, [short_path(s.project) for s in shown]))
        widths = [min(most, max([least, *map(len, texts)])) for _, least, most, _, texts in columns]
        self._table_width = table.size.width
        # One cell of padding each side of every column, and two for the scrollbar; the title gets the rest.
        title_w = max(12, self._table_width - sum(widths) - 2 * (len(columns) + 1) - 2)
        table.clear(columns=True)
        table.add_column("title", width=title_w, key="title")
        for (label, *_), width in zip(columns, widths, strict=True):
            table.add_column(label, width=width, key=label)
        for row, info in enumerate(shown):
            marker = ("● ", "$text-success") if info.id == self.current_session else "  "
            title = _clip(info.title or "Untitled", title_w - 2)
            cells = [Content.assemble(marker, (title, "" if info.title else "dim italic"))]
            for (_, _, _, right, texts), width in zip(columns, widths, strict=True):
                text = _clip(texts[row], width)
                cells.append(Content(text.rjust(width) if right else text))
            table.add_row(*cells, key=info.id)
        ids = [s.id for s in shown]
        if ids:
            table.move_cursor(row=ids.index(select) if select in ids else 0, animate=False)
        if table.has_focus or not self.query_one(HitList).has_focus:
            self._select(ids[table.cursor_row] if ids else None)
        self._show_count(len(shown))

    def _show_count(self, shown: int) -> None:
        if self._list_error:
            self.status(self._list_error, error=True)
        elif not self.sessions:
            where = "anywhere" if self.all_projects else "in this project yet; press a to see every project"
            self.status(f"No sessions {where}.")
        elif shown < len(self.sessions):
            self.status(f"{shown} of {len(self.sessions)} sessions have the words in their title.")
        else:
            noun = "session" if shown == 1 else "sessions"
            self.status(
                f"{shown} {noun}" + (f" (the latest {LIST_LIMIT})" if shown == LIST_LIMIT else "") + "."
            )

    @on(DataTable.RowHighlighted, "#sessions-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._select(event.row_key.value)

    @on(DataTable.RowSelected, "#sessions-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.dismiss(BrowserResult("resume", event.row_key.value))

    # --- search ---------------------------------------------------------------------------

    @on(Input.Changed, "#browser-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill_table(self.selected)
        if self._search_timer is not None:
            self._search_timer.stop()
        if event.value.strip():
            self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._start_search)
        else:
            self._show_hits("", [])

    def _start_search(self) -> None:
        query = self.query_one("#browser-filter", Input).value.strip()
        if query:
            self._search(query, None if self.all_projects else self.project)

    @work(thread=True, exclusive=True, group="session-search", name="search the sessions", exit_on_error=False)
    def _search(self, query: str, project: Path | None) -> None:
        try:
            hits = self.store.search(query, project, limit=SEARCH_LIMIT)
        except StoreError as exc:
            self.app.call_from_thread(self.status, str(exc), error=True)
            hits = []
        self.app.call_from_thread(self._show_hits, query, hits)

    def _show_hits(self, query: str, hits: list[SearchHit]) -> None:
        """Show one search's results, unless the user has typed on since it started."""
        if not self.is_attached or query != self.query_one("#browser-filter", Input).value.strip():
            return
        self.hits = hits
        self.shown_query = query
        self.set_class(bool(query), "-searching")
        label = self.query_one("#hits-label", Static)
        if not hits:
            label.update(Content.assemble("No message matches ", (query, "bold"), "."))
        else:
            many = f" (the best {SEARCH_LIMIT})" if len(hits) == SEARCH_LIMIT else ""
            noun = "message matches" if len(hits) == 1 else "messages match"
            label.update(Content.assemble(f"{len(hits)} {noun} ", (query, "bold"), f"{many}:"))
        options = self.query_one(HitList)
        options.clear_options()
        now = self.clock()
        room = self.query_one("#browser-lists").scrollable_content_region.width - 4  # padding, scrollbar
        for number, hit in enumerate(hits):
            where = f" · {short_path(hit.project)}" if self.all_projects else ""
            who = "you" if hit.role == "user" else "assistant"
            detail = f"  #{hit.message_index + 1} {who} · {relative_time(hit.updated, now)}{where}"
            title = _clip(hit.title or "Untitled", max(12, room - len(detail) - 2))
            options.add_option(
                Option(
                    Content.assemble((title, "bold"), (detail, "dim"), "\n", snippet_content(hit.snippet)),
                    id=str(number),
                )
            )
        if hits:
            options.highlighted = 0
            if options.has_focus or not self.query_one(SessionTable).row_count:
                self._select_hit(0)

    @on(OptionList.OptionHighlighted, "#hits-list")
    def _hit_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.has_focus:
            self._select_hit(event.option_index)

    @on(OptionList.OptionSelected, "#hits-list")
    def _hit_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(BrowserResult("resume", self.hits[event.option_index].session_id))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The list that has the focus decides which session the preview shows."""
        if isinstance(event.widget, HitList) and event.widget.highlighted is not None:
            self._select_hit(event.widget.highlighted)
        elif isinstance(event.widget, SessionTable) and event.widget.row_count:
            key = event.widget.coordinate_to_cell_key(event.widget.cursor_coordinate).row_key.value
            self._select(key)
        if not isinstance(event.widget, PreviewList) and self.picking:
            self._stop_picking()

    def _select_hit(self, index: int) -> None:
        if 0 <= index < len(self.hits):
            hit = self.hits[index]
            self._select(hit.session_id, focus_message=hit.message_index)

    # --- the preview ----------------------------------------------------------------------

    def _select(self, session_id: str | None, focus_message: int | None = None) -> None:
        if session_id == self.selected and focus_message is None:
            return
        self.selected = session_id
        self.refresh_bindings()
        info = self._info(session_id)
        box = self.query_one("#browser-preview")
        if info is None:
            box.border_title = box.border_subtitle = ""
            self.query_one(PreviewList).clear_options()
            return
        box.border_title = info.title or "Untitled"
        box.border_subtitle = f"{info.id} · {info.message_count} messages"
        self._load_preview(info.id, focus_message)

    def _info(self, session_id: str | None) -> SessionInfo | None:
        """From the loaded list, or the store for a search hit older than the list's latest LIST_LIMIT."""
        if session_id is None:
            return None
        loaded = next((s for s in self.sessions if s.id == session_id), None)
        if loaded is not None:
            return loaded
        try:
            return self.store.get(session_id)
        except StoreError:
            return None

    @work(thread=True, exclusive=True, group="session-preview", name="show the session's preview", exit_on_error=False)
    def _load_preview(self, session_id: str, focus_message: int | None) -> None:
        try:
            messages = self.store.messages(session_id)
        except StoreError as exc:
            self.app.call_from_thread(self.status, str(exc), error=True)
            return
        self.app.call_from_thread(self._fill_preview, session_id, messages, focus_message)

    def _fill_preview(self, session_id: str, messages: list[Message], focus_message: int | None) -> None:
        if not self.is_attached or session_id != self.selected:
            return
        start = max(0, len(messages) - PREVIEW_MESSAGES)
        if focus_message is not None and focus_message < start:
            start = max(0, focus_message - PREVIEW_MESSAGES // 2)
        preview = self.query_one(PreviewList)
        preview.clear_options()
        if start:
            preview.add_option(
                Option(Content.styled(f"… {start} earlier messages not shown", "dim italic"), disabled=True)
            )
        shown: list[Option] = []
        for index, message in enumerate(messages[start : start + PREVIEW_MESSAGES], start):
            prompt = message_prompt(index, message)
            if prompt is not None:
                shown.append(Option(prompt, id=str(index)))
        preview.add_options(shown)
        later = len(messages) - (start + PREVIEW_MESSAGES)
        if later > 0:  # a search hit far back in a long session
            preview.add_option(
                Option(Content.styled(f"… {later} later messages not shown", "dim italic"), disabled=True)
            )
        if not shown:
            preview.add_option(
                Option(Content.styled("This session has no messages.", "dim italic"), disabled=True)
            )
            return
        target = str(focus_message) if focus_message is not None else None
        ids = [o.id for o in shown]
        index_in_shown = ids.index(target) if target in ids else len(ids) - 1
        preview.highlighted = index_in_shown + (1 if start else 0)
        # After the next refresh, when the new options have their heights.
        self.call_after_refresh(preview.scroll_to_highlight_once_shown, top=focus_message is not None)

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fork", "rename", "export", "delete") and self.selected is None:
            return None  # shown dimmed: there is no session to act on
        return True

    def action_search(self) -> None:
        self.query_one("#browser-filter", Input).focus()

    def action_to_results(self) -> None:
        """Down or Enter in the filter box moves to the first list that has something in it."""
        if self.query_one(SessionTable).row_count:
            self.query_one(SessionTable).focus()
        elif self.hits:
            self.query_one(HitList).focus()

    @on(Input.Submitted, "#browser-filter")
    def _filter_submitted(self) -> None:
        self.action_to_results()

    def action_toggle_all(self) -> None:
        self.all_projects = not self.all_projects
        self._show_header()
        self.reload(self.selected)
        self._start_search()

    def action_fork(self) -> None:
        preview = self.query_one(PreviewList)
        if preview.has_focus and preview.highlighted is not None:
            preview.action_select()
            return
        self.picking = True
        self.set_class(True, "-picking")
        self.status("Fork: pick the last message to keep, then Enter; Esc cancels.")
        preview.focus()

    def _stop_picking(self) -> None:
        self.picking = False
        self.set_class(False, "-picking")
        self._show_count(len(self.shown_sessions()))

    @on(OptionList.OptionSelected, "#preview-list")
    def _fork_here(self, event: OptionList.OptionSelected) -> None:
        if self.selected is not None and event.option.id is not None:
            self.dismiss(BrowserResult("fork", self.selected, int(event.option.id)))

    def action_rename(self) -> None:
        info = self._info(self.selected)
        if info is None:
            return
        self.set_class(True, "-renaming")
        field = self.query_one("#rename-input", Input)
        field.value = info.title
        field.focus()

    @on(Input.Submitted, "#rename-input")
    def _rename_submitted(self, event: Input.Submitted) -> None:
        title = event.value.strip()
        if not title:
            self.status("A title cannot be empty; Esc keeps the old one.", error=True)
            return
        if self.selected is None:
            return
        try:
            self.store.rename(self.selected, title)
        except StoreError as exc:
            self.status(str(exc), error=True)
            return
        self._end_rename()
        selected, self.selected = self.selected, None
        self.reload(selected)
        self.status(f"Renamed to “{title}”.")

    def _end_rename(self) -> None:
        self.set_class(False, "-renaming")
        self.query_one(SessionTable).focus()

    def action_export(self) -> None:
        if self.selected is None:
            return
        path = self.project / f"claw-session-{self.selected}.md"
        try:
            path.write_text(export_markdown(self.store, self.selected), encoding="utf-8")
        except StoreError as exc:
            self.status(str(exc), error=True)
            return
        except OSError as exc:
            self.status(f"Cannot write {path}: {exc.strerror}.", error=True)
            return
        self.status(f"Exported to {path}")
        self.notify(str(path), title="Session exported")

    def action_delete(self) -> None:
        info = self._info(self.selected)
        if info is None:
            return
        if info.id == self.current_session:
            self.status(
                "This is the session open in claw; it cannot be deleted while it is open.", error=True
            )
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete(info.id)
            except StoreError as exc:
                self.status(str(exc), error=True)
                return
            position = next((i for i, s in enumerate(self.shown_sessions()) if s.id == info.id), 0)
            self.selected = None
            self.reload()
            shown = self.shown_sessions()
            if shown:
                self.query_one(SessionTable).move_cursor(row=min(position, len(shown) - 1), animate=False)
            self._start_search()
            self.status(f"Deleted “{info.title or info.id}”.")

        self.app.push_screen(ConfirmDelete(info), callback=answered)

    def action_back(self) -> None:
        """Esc steps back: out of rename, out of picking, out of the filter box, then closes."""
        if self.has_class("-renaming"):
            self._end_rename()
            self.status("Rename cancelled.")
        elif self.picking:
            self.query_one(SessionTable).focus()
        elif self.query_one("#browser-filter", Input).has_focus:
            self.action_to_results()
            if self.query_one("#browser-filter", Input).has_focus:
                self.query_one(SessionTable).focus()
        else:
            self.dismiss(None)

    def status(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#browser-status", Static)
        line.update(Content.styled(text, "$text-error" if error else ""))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
