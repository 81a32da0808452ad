"""The tool-call log: one row per call with its status, duration and permission decision.

Rows live in an `OptionList` (one `Option` per call, id = call id) and change in place with
`replace_option_prompt`. Subagent calls sit indented under the Agent call that spawned them.
The highlighted call's full input and output show in a `Log` below the list. Memory is
bounded: at most MAX_CALLS calls are kept, each output cut at OUTPUT_LIMIT characters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Log, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from claw_tui.core import events as ev
from claw_tui.ui.widgets.tool_preview import Change, hunk_tally, hunks_in

MAX_CALLS = 2_000
OUTPUT_LIMIT = 20_000  # characters of output kept per call
INPUT_PREVIEW = 20_000  # characters of streamed input JSON kept while it arrives
DETAIL_LINES = 5_000

# status → (glyph, style)
STATUS_LOOK: dict[str, tuple[str, str]] = {
    "streaming": ("…", "$text-muted"),
    "queued": ("○", "$text-muted"),
    "waiting": ("?", "bold $warning"),
    "running": ("◐", "bold $accent"),
    "done": ("✓", "$success"),
    "failed": ("✗", "bold $error"),
    "denied": ("⊘", "$error"),
    "cancelled": ("■", "$text-muted"),
}
STATUS_WORD = {"streaming": "input arriving", "waiting": "waiting for approval"}
OPEN_STATUSES = frozenset({"streaming", "queued", "waiting", "running"})


@dataclass
class CallRecord:
    call_id: str
    name: str
    agent_id: str | None = None
    status: str = "streaming"
    summary: str = ""
    input: dict[str, Any] | None = None
    input_text: str = ""  # the raw JSON while it streams in
    output: str = ""
    output_dropped: int = 0
    decision: str = ""
    asked: str = ""  # the reason it asked, when it did
    duration_ms: float | None = None
    children: list[str] = field(default_factory=list)
    hunks_written: int = 0  # of an edit, counted as its files change
    hunks_applied: str = ""  # "1 of 2 hunks applied": the user accepted only some

    def add_output(self, text: str) -> None:
        room = OUTPUT_LIMIT - len(self.output)
        self.output += text[: max(room, 0)]
        self.output_dropped += max(len(text) - max(room, 0), 0)

    def finish(self, output: str) -> None:
        """The final output replaces the progress lines; an edit accepted in part says so."""
        self.output, self.output_dropped = "", 0
        self.add_output(output)
        self.hunks_applied = (hunk_tally(self.hunks_written, output) or "") if self.status == "done" else ""

    def matches(self, needle: str) -> bool:
        haystack = f"{self.name} {self.summary} {self.status} {STATUS_WORD.get(self.status, '')}".lower()
        return all(word in haystack for word in needle.lower().split())


def format_duration(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def decision_text(record: CallRecord, behavior: str, decided_by: str) -> str:
    if record.asked:
        verdict = "allowed" if behavior == "allow" else "denied"
        return f"ask → {verdict} by {decided_by}"
    return decided_by if decided_by.startswith(behavior) else f"{behavior} · {decided_by}"


class ToolLog(Vertical):
    """Every tool call of the session, newest at the bottom; filter with the box on top."""

    DEFAULT_CSS = """
    ToolLog {
        height: 1fr;
    }
    ToolLog #tool-filter {
        dock: top;
        margin: 0;
    }
    ToolLog #tool-calls {
        height: 2fr;
        border: none;
        padding: 0;
    }
    ToolLog #tool-detail {
        display: none;
        height: 1fr;
        border-top: solid $panel;
        background: $surface;
    }
    ToolLog.-detail #tool-detail {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "focus_filter", "filter", tooltip="Filter calls by tool, text or status"),
        Binding("escape", "clear_filter", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: dict[str, CallRecord] = {}  # insertion order = arrival order
        self.filter_text = ""
        self.shown_call: str | None = None

    def compose(self) -> ComposeResult:
        # The list comes first so that focusing the pane lands on it; the filter is docked on top.
        yield OptionList(id="tool-calls")
        yield Input(placeholder="filter: tool, text or status (failed, denied…)", id="tool-filter", compact=True)
        yield Log(id="tool-detail", max_lines=DETAIL_LINES, highlight=False, auto_scroll=False)

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#tool-calls", OptionList)

    # --- events ---------------------------------------------------------------------------

    def handle_event(self, event: Any) -> None:
        match event:
            case ev.ToolCallStarted(call_id=call_id, name=name):
                self._add(CallRecord(call_id, name, agent_id=event.agent_id))
            case ev.ToolCallInputDelta(call_id=call_id, partial_json=text):
                if (record := self.calls.get(call_id)) is not None and len(record.input_text) < INPUT_PREVIEW:
                    record.input_text += text
                    self._changed(record, redraw_row=False)
            case ev.ToolCallQueued(call_id=call_id):
                record = self._get_or_add(call_id, event.name, event.agent_id)
                record.input, record.summary, record.status = event.input, event.summary, "queued"
                self._changed(record)
            case ev.PermissionRequested(call_id=call_id):
                record = self._get_or_add(call_id, event.name, event.agent_id)
                record.status, record.asked = "waiting", event.reason
                self._changed(record)
            case ev.PermissionDecided(call_id=call_id) if call_id in self.calls:
                record = self.calls[call_id]
                record.decision = decision_text(record, event.behavior, event.decided_by)
                if event.behavior == "deny":
                    record.status = "denied"
                elif record.status == "waiting":
                    record.status = "queued"
                self._changed(record)
            case ev.ToolCallRunning(call_id=call_id) if call_id in self.calls:
                self.calls[call_id].status = "running"
                self._changed(self.calls[call_id])
            case ev.ToolCallOutput(call_id=call_id, text=text) if call_id in self.calls:
                record = self.calls[call_id]
                before = len(record.output)
                record.add_output(text)
                if call_id == self.shown_call and len(record.output) > before:
                    if before:
                        self.query_one("#tool-detail", Log).write(record.output[before:])
                    else:
                        self._show_detail(record)  # replaces "(none yet)"
            case ev.FileChanged(call_id=call_id) if call_id in self.calls:
                self.calls[call_id].hunks_written += hunks_in(Change(event.path, event.before, event.after))
            case ev.ToolCallFinished(call_id=call_id):
                record = self._get_or_add(call_id, event.name, event.agent_id)
                record.status = event.status
                record.duration_ms = event.duration_ms or None
                record.finish(event.output)
                self._changed(record)
            case ev.TurnFinished() if event.agent_id is None:
                self._close_open_calls()

    def load(self, records: Iterable[CallRecord]) -> None:
        """Show a stored session's calls, building the list once rather than a row at a time."""
        for record in records:
            self.calls[record.call_id] = record
        self._rebuild()

    def _close_open_calls(self) -> None:
        """The main turn ended (a cancel): its calls still open never finish, nor those of its subagents.

        A background subagent's calls go on: their Agent call finished when it started them.
        """
        stopped: set[str] = set()
        for record in self.calls.values():  # arrival order: an Agent call comes before its subagent's calls
            if record.status in OPEN_STATUSES and (record.agent_id is None or record.agent_id in stopped):
                record.status = "cancelled"
                stopped.add(record.call_id)
                self._changed(record)

    # --- records and rows -----------------------------------------------------------------

    def _get_or_add(self, call_id: str, name: str, agent_id: str | None) -> CallRecord:
        if call_id not in self.calls:
            self._add(CallRecord(call_id, name, agent_id=agent_id))
        return self.calls[call_id]

    def _add(self, record: CallRecord) -> None:
        if record.call_id in self.calls:
            return
        self.calls[record.call_id] = record
        parent = self.calls.get(record.agent_id) if record.agent_id else None
        if parent is not None:
            parent.children.append(record.call_id)
        if len(self.calls) > MAX_CALLS:
            self._forget_oldest()
            self._rebuild()
        elif not record.matches(self.filter_text):
            return
        elif parent is not None:
            self._rebuild()  # a subagent's call goes under its parent, not at the end
        else:
            self.option_list.add_option(Option(self._prompt(record), id=record.call_id))
            self._follow()

    def _follow(self) -> None:
        """New rows stay in view unless the user is moving through the list."""
        if not self.option_list.has_focus:  # after the refresh that sizes the list with the new row
            self.call_after_refresh(self.option_list.scroll_end, animate=False, immediate=True)

    def _forget_oldest(self) -> None:
        oldest = next(iter(self.calls))
        record = self.calls.pop(oldest)
        for child in record.children:
            if (child_record := self.calls.get(child)) is not None:
                child_record.agent_id = None  # the parent is gone: the child becomes top level
        if record.agent_id and (parent := self.calls.get(record.agent_id)) is not None:
            parent.children.remove(oldest)

    def _depth(self, record: CallRecord) -> int:
        depth, seen = 0, {record.call_id}
        while record.agent_id and (parent := self.calls.get(record.agent_id)) is not None and parent.call_id not in seen:
            depth, record = depth + 1, parent
            seen.add(record.call_id)
        return depth

    def _ordered(self) -> list[CallRecord]:
        """Top-level calls in arrival order, each followed by its subagent's calls."""
        out: list[CallRecord] = []

        def visit(record: CallRecord) -> None:
            out.append(record)
            for child in record.children:
                if child in self.calls:
                    visit(self.calls[child])

        for record in self.calls.values():
            if not record.agent_id or record.agent_id not in self.calls:
                visit(record)
        return out

    def _prompt(self, record: CallRecord) -> Content:
        glyph, style = STATUS_LOOK.get(record.status, ("·", ""))
        indent = "  " * self._depth(record) + ("↳ " if record.agent_id and record.agent_id in self.calls else "")
        summary = record.summary or record.name
        detail = record.summary.removeprefix(record.name).lstrip(" :") if record.summary.startswith(record.name) else summary
        parts: list[str | tuple[str, str] | Content] = [indent, (glyph, style), " ", (record.name, "bold")]
        if detail and detail != record.name:
            parts.append(f" {detail}")
        if record.hunks_applied:
            parts.append((f" ({record.hunks_applied})", "$text-warning"))
        if record.status in ("streaming", "waiting", "running"):
            parts.append((f" · {STATUS_WORD.get(record.status, record.status)}", style))
        elif record.status in ("failed", "denied", "cancelled"):
            parts.append((f" · {record.status}", style))
        if record.duration_ms is not None:
            parts.append((f" · {format_duration(record.duration_ms)}", "$text-muted"))
        if record.decision:
            parts.append((f" · {record.decision}", "$text-muted"))
        return Content.assemble(*parts)

    def _changed(self, record: CallRecord, *, redraw_row: bool = True) -> None:
        if redraw_row:
            try:
                self.option_list.replace_option_prompt(record.call_id, self._prompt(record))
            except OptionDoesNotExist:
                if record.matches(self.filter_text):
                    self._rebuild()
        if record.call_id == self.shown_call:
            self._show_detail(record)

    def _rebuild(self) -> None:
        options = self.option_list
        highlighted = options.highlighted_option.id if options.highlighted_option is not None else None
        visible = [r for r in self._ordered() if r.matches(self.filter_text)]
        options.set_options(Option(self._prompt(r), id=r.call_id) for r in visible)
        if self.filter_text and not visible:
            options.add_option(Option(Content.styled(f"No calls match {self.filter_text!r}", "$text-muted"), disabled=True))
        ids = [r.call_id for r in visible]
        if highlighted in ids:
            options.highlighted = ids.index(highlighted)
        self._follow()

    # --- filter and detail ----------------------------------------------------------------

    @on(Input.Changed, "#tool-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        self._rebuild()

    @on(Input.Submitted, "#tool-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.option_list.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#tool-filter", Input).focus()

    def action_clear_filter(self) -> None:
        """Esc in the filter clears it and goes back to the list; anywhere else Esc does what it always does."""
        field = self.query_one("#tool-filter", Input)
        if not field.has_focus:
            raise SkipAction
        field.value = ""
        self.option_list.focus()

    @on(OptionList.OptionHighlighted, "#tool-calls")
    @on(OptionList.OptionSelected, "#tool-calls")
    def _option_chosen(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in self.calls:
            self.show_call(event.option.id)

    def show_call(self, call_id: str) -> None:
        """Show one call's full input and output below the list."""
        self.shown_call = call_id
        self.add_class("-detail")
        self._show_detail(self.calls[call_id])

    def _show_detail(self, record: CallRecord) -> None:
        log = self.query_one("#tool-detail", Log)
        log.clear()
        log.write("\n".join(self.detail_lines(record)) + "\n")  # write_lines would drop blank lines
        log.scroll_home(animate=False)

    def detail_lines(self, record: CallRecord) -> list[str]:
        glyph, _ = STATUS_LOOK.get(record.status, ("·", ""))
        lines = [f"{glyph} {record.name} · {STATUS_WORD.get(record.status, record.status)}"]
        if record.agent_id:
            lines.append(f"subagent call (agent {record.agent_id})")
        if record.asked:
            lines.append(f"asked because: {record.asked}")
        if record.decision:
            lines.append(f"decision: {record.decision}")
        lines += ["", "input:"]
        if record.input is not None:
            lines += json.dumps(record.input, indent=2, ensure_ascii=False).splitlines()
        else:
            lines += (record.input_text or "(not complete yet)").splitlines()
        lines += ["", "output:"]
        lines += (record.output or "(none yet)").splitlines()
        if record.output_dropped:
            lines.append(f"… {record.output_dropped} more characters not kept")
        return lines
