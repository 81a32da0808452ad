"""The conversation pane: one widget per block, assistant text streamed as Markdown.

The transcript lives in the engine; these widgets only draw it. A long session keeps a small
DOM: past a high-water mark the oldest blocks are unmounted and kept only as small recipes
(`restorer()`: the text, the tool call's fields), and scrolling to the top (or clicking the
marker there) mounts them again a page at a time, up to a hard cap. The pane is anchored:
it follows new output while the user is at the bottom, and leaves the scroll position
alone once they scroll up (Textual's `anchor()` releases itself on a user scroll and
re-engages when they return to the bottom).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from claw_tui.core import events as ev
from claw_tui.ui.widgets import tool_preview
from claw_tui.ui.widgets.markdown_view import MarkdownView
from claw_tui.ui.widgets.tool_preview import CallView, Change

STATUS_GLYPHS = {
    "started": "…",
    "queued": "○",
    "waiting": "◇",
    "running": "●",
    "done": "✓",
    "failed": "✗",
    "denied": "⊘",
    "cancelled": "⊘",
}

# Tool input / output shown when a call is expanded; the full text stays in the engine.
MAX_SHOWN_CHARS = 6000
MAX_SHOWN_LINES = 80

Restorer = Callable[[], Widget]  # rebuilds an unmounted block

SLICE_S = 0.005  # longest run of engine events handled without letting the event loop turn
LIVE_TAIL_CHARS = 16_000  # what a running call keeps of its output for its latest lines
LIVE_REDRAW_S = 0.1  # a running call's latest lines are redrawn at most this often

# Under a turn the user stopped, live and in a resumed session alike (Claude Code's words).
INTERRUPTED_NOTE = "Interrupted · What should claw do instead?"


def clip(text: str, max_chars: int = MAX_SHOWN_CHARS, max_lines: int = MAX_SHOWN_LINES) -> str:
    text = text.rstrip("\n")
    lines = text.splitlines()
    shown = "\n".join(lines[:max_lines])[:max_chars]
    if len(shown) < len(text):
        more = len(lines) - shown.count("\n") - 1
        shown += f"\n… {more} more lines" if more > 0 else f"\n… {len(text) - len(shown)} more characters"
    return shown


class UserPrompt(Static):
    """What the user sent. A prompt typed during a turn carries the `-queued` class until it is sent."""

    DEFAULT_CSS = """
    UserPrompt {
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: thick $primary;
        background: $boost;
        &.-queued { border-left: thick $secondary; color: $text-muted; }
    }
    """

    def __init__(self, text: str, *, queued: bool = False) -> None:
        self.text = text
        super().__init__(classes="-queued" if queued else "")
        self._render_text()

    def _render_text(self) -> None:
        prefix = "queued › " if self.has_class("-queued") else "› "
        self.update(Content.assemble((prefix, "bold"), self.text))

    def mark_sent(self) -> None:
        self.remove_class("-queued")
        self._render_text()

    def restorer(self) -> Restorer:
        text = self.text
        return lambda: UserPrompt(text)


class AssistantText(MarkdownView):
    """One assistant text block, streamed.

    Deltas are buffered and appended at most once per STREAM_INTERVAL: a token each is far more
    often than a terminal repaints, and every append re-parses and redraws the last Markdown block.
    """

    DEFAULT_CSS = """
    AssistantText { margin: 1 0 0 0; padding: 0 1; }
    """

    STREAM_INTERVAL = 1 / 30  # seconds between appends while streaming

    def __init__(self, markdown: str = "") -> None:
        super().__init__(markdown)
        self._pending: list[str] = []
        self._writer: asyncio.Task[None] | None = None
        self._finishing = asyncio.Event()
        self._streamed = False  # text came by `write` (a restored or replayed block is whole from the start)

    def write(self, text: str) -> None:
        if not text:
            return
        self._streamed = True
        self._pending.append(text)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_pending())

    async def _write_pending(self) -> None:
        """Append what is pending, then wait an interval and append what came meanwhile, until nothing does.

        The interval grows with what an append costs (a long last block costs more to redraw), so
        drawing never takes more than a fifth of the event loop's time.
        """
        try:
            while self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                started = time.perf_counter()
                self.append(text)
                interval = max(self.STREAM_INTERVAL, 4 * (time.perf_counter() - started))
                if not self._finishing.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._finishing.wait(), interval)
        finally:
            self._writer = None

    @property
    def streaming(self) -> bool:
        """Text is waiting to be appended, or being appended."""
        return self._writer is not None

    @property
    def more_coming(self) -> bool:
        """Text was streamed into the block and it is not finished: between two deltas too (under load the
        block was drawn, highlighted at great cost, in a layout pass while no delta was pending)."""
        return self._streamed and not self._finishing.is_set()

    async def finish(self) -> None:
        """Append what is pending now; the block takes no more text."""
        self._finishing.set()
        if (writer := self._writer) is not None:
            await writer
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.append(text)
        self.redraw_last_block()

    def restorer(self) -> Restorer:
        source = self.source + "".join(self._pending)
        return lambda: AssistantText(source)


class ThinkingBlock(Collapsible):
    """The model's thinking, folded; its body is drawn only while expanded."""

    DEFAULT_CSS = """
    ThinkingBlock { margin: 1 0 0 0; background: transparent; color: $text-muted; border-top: none; padding-bottom: 0; }
    ThinkingBlock > Contents { padding: 0 0 0 2; }
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._chars = 0
        self._body = Static(classes="thinking-body")
        super().__init__(self._body, title="Thinking…", collapsed=True)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def add(self, text: str) -> None:
        self._parts.append(text)
        self._chars += len(text)
        self.title = f"Thinking… ({self._chars:,} chars)"
        if not self.collapsed:
            self._body.update(Content(self.text))

    async def finish(self) -> None:
        return None

    def _watch_collapsed(self, collapsed: bool) -> None:
        super()._watch_collapsed(collapsed)
        if not collapsed:
            self._body.update(Content(self.text))

    def restorer(self) -> Restorer:
        text = self.text

        def restore() -> ThinkingBlock:
            block = ThinkingBlock()
            block.add(text)
            return block

        return restore


class ToolCallBlock(Vertical, can_focus=True):
    """One tool call: its line ("✓ Read src/app.py") and the first lines of its result under it (errors
    whole, an edit as a coloured diff, a command's output); a click or Enter shows all of it."""

    DEFAULT_CSS = """
    ToolCallBlock { height: auto; margin: 0; padding: 0; }
    ToolCallBlock > .tool-title { height: auto; }
    ToolCallBlock > .tool-body { height: auto; padding: 0 0 0 2; color: $text; display: none; }
    ToolCallBlock.-shown > .tool-body { display: block; }
    ToolCallBlock:focus > .tool-title { background: $boost; text-style: bold; }
    ToolCallBlock:hover > .tool-title { background: $boost; }
    ToolCallBlock.-failed > .tool-title, ToolCallBlock.-denied > .tool-title { color: $error; }
    ToolCallBlock.-done > .tool-title { color: $success; }
    ToolCallBlock.-partial > .tool-title { color: $warning; }
    ToolCallBlock.-cancelled > .tool-title { color: $warning; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open_or_close", "open/close", show=False)]

    def __init__(self, call_id: str, name: str) -> None:
        super().__init__()
        self.call_id = call_id
        self.tool_name = name
        self.summary = name
        self.status = "started"
        self.input: dict[str, Any] | None = None
        self.output: str | None = None
        self.changes: list[Change] = []
        self.hunks_applied = ""  # "1 of 2 hunks applied" for an edit accepted in part
        self.live = ""  # the end of what it has printed while it runs (a command's output)
        self._redraw_pending = False  # the latest lines are drawn at most every LIVE_REDRAW_S
        self._collapsed = True
        self.title: Content = Content("")
        self._title_view = Static(classes="tool-title")
        self._body = Static(classes="tool-body")
        self._retitle()

    def compose(self):  # type: ignore[override]
        yield self._title_view
        yield self._body

    @property
    def collapsed(self) -> bool:
        """Showing the first lines only (True), or the whole call (False)."""
        return self._collapsed

    @collapsed.setter
    def collapsed(self, collapsed: bool) -> None:
        self._collapsed = collapsed
        self._fill()

    def action_open_or_close(self) -> None:
        self.collapsed = not self.collapsed

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.collapsed = not self.collapsed

    def _retitle(self) -> None:
        glyph = "◐" if self.hunks_applied else STATUS_GLYPHS.get(self.status, "·")
        suffix = (f" ({self.hunks_applied})", "$text-warning") if self.hunks_applied else ""
        self.title = Content.assemble(f"{glyph} ", self.summary, suffix)
        self._title_view.update(self.title)

    def set_status(self, status: str) -> None:
        self.remove_class(f"-{self.status}")
        self.status = status
        self.add_class(f"-{status}")
        self._retitle()

    def queued(self, event: ev.ToolCallQueued) -> None:
        self.summary = event.summary or event.name
        self.input = event.input
        self.set_status("queued")
        self._fill()

    def printed(self, text: str) -> None:
        """More output of the running call: its latest lines show under it, redrawn at most every
        LIVE_REDRAW_S however fast it prints."""
        self.live = (self.live + text)[-LIVE_TAIL_CHARS:]
        if not self._redraw_pending:
            self._redraw_pending = True
            self.set_timer(LIVE_REDRAW_S, self._show_live)

    def _show_live(self) -> None:
        self._redraw_pending = False
        if self.status == "running":
            self._fill()

    def file_changed(self, event: ev.FileChanged) -> None:
        self.changes.append(Change(event.path, event.before, event.after))

    def finished(self, event: ev.ToolCallFinished) -> None:
        self.output = event.output
        self._tally_hunks(event.status)
        self.set_status(event.status)
        self._fill()

    def _tally_hunks(self, status: str) -> None:
        """Say so when the user accepted only some of the edit's hunks (the written ones, of all offered)."""
        applied = sum(tool_preview.hunks_in(c) for c in self.changes)
        self.hunks_applied = (tool_preview.hunk_tally(applied, self.output) or "") if status == "done" else ""
        self.set_class(bool(self.hunks_applied), "-partial")

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed", "denied", "cancelled")

    def view(self) -> CallView:
        return CallView(self.tool_name, self.status, self.input, self.output, self.changes, self.live)

    def _fill(self) -> None:
        body = tool_preview.preview(self.view()) if self.collapsed else tool_preview.full(self.view())
        self._body.update(body if body is not None else "")
        self.set_class(body is not None, "-shown")

    def restorer(self) -> Restorer:
        fields = (self.call_id, self.tool_name, self.summary, self.status, self.input, self.output)
        changes = list(self.changes)

        def restore() -> ToolCallBlock:
            call_id, name, summary, status, input, output = fields
            return ToolCallBlock.stored(call_id, name, summary, status, input, output, changes)

        return restore

    @classmethod
    def stored(
        cls, call_id: str, name: str, summary: str, status: str, input: dict[str, Any] | None, output: str | None,
        changes: list[Change],
    ) -> ToolCallBlock:
        """A finished call drawn again (an unmounted block, a stored session)."""
        block = cls(call_id, name)
        block.summary, block.input, block.output, block.changes = summary, input, output, changes
        block._tally_hunks(status)
        block.set_status(status)
        block._fill()
        return block


class NoteBlock(Static):
    """A plain line from claw itself: a notice, an error, a retry, a command's output."""

    DEFAULT_CSS = """
    NoteBlock { margin: 1 0 0 0; padding: 0 1; color: $text-muted; }
    NoteBlock.-warning { color: $warning; }
    NoteBlock.-error { color: $error; border-left: thick $error; }
    NoteBlock.-retry { color: $warning; }
    """

    def __init__(self, text: str | Content, level: str = "info") -> None:
        self.note = text if isinstance(text, Content) else Content(text)
        self.level = level
        super().__init__(self.note, classes=f"-{level}")

    def restorer(self) -> Restorer:
        note, level = self.note, self.level
        return lambda: NoteBlock(note, level)


class MarkdownNote(MarkdownView):
    """Output of a slash command that reads best as Markdown (/help, /status, /cost)."""

    DEFAULT_CSS = """
    MarkdownNote { margin: 1 0 0 0; padding: 0 1; border-left: thick $secondary; }
    """

    def restorer(self) -> Restorer:
        source = self.source
        return lambda: MarkdownNote(source)


class ShellBlock(Vertical):
    """`!cmd`: the command and its output, run by claw, not the model."""

    DEFAULT_CSS = """
    ShellBlock { height: auto; margin: 1 0 0 0; padding: 0 1; border-left: thick $accent; }
    ShellBlock .shell-command { text-style: bold; }
    ShellBlock .shell-output { color: $text; }
    ShellBlock .shell-status { color: $text-muted; }
    ShellBlock.-failed .shell-status { color: $error; }
    """

    def __init__(self, command: str) -> None:
        super().__init__()
        self.command = command
        self.output = Static(classes="shell-output")
        self.status = Static("running…", classes="shell-status")
        self.result: tuple[str, int] | None = None  # (output, exit code) once it finished

    def compose(self):  # type: ignore[override]
        yield Static(Content.assemble(("$ ", "bold"), self.command), classes="shell-command")
        yield self.output
        yield self.status

    def finish(self, output: str, exit_code: int) -> None:
        self.result = (output, exit_code)
        self.output.update(Content(clip(output.rstrip("\n"))) if output.strip() else Content(""))
        self.output.display = bool(output.strip())
        self.status.update(f"exit {exit_code}")
        self.set_class(exit_code != 0, "-failed")

    def set_note(self, note: str) -> None:
        """A word after the exit status (that the model will see it)."""
        if self.result is not None:
            self.status.update(f"exit {self.result[1]} · {note}")

    def restorer(self) -> Restorer:
        command, result = self.command, self.result

        def restore() -> ShellBlock:
            block = ShellBlock(command)
            if result is not None:
                block.finish(*result)
            return block

        return restore


class Greeting(Static):
    """The first screen's line: what answers, and the keys a newcomer needs first."""

    DEFAULT_CSS = """
    Greeting { margin: 1 0 0 0; padding: 0 1; color: $text-muted; }
    """

    def restorer(self) -> Restorer:
        content = self.content
        return lambda: Greeting(content)


class PrunedMarker(Static):
    """The top line while earlier blocks are unmounted; a click mounts the previous page."""

    DEFAULT_CSS = """
    PrunedMarker { color: $text-muted; text-style: italic; padding: 0 1; }
    PrunedMarker:hover { color: $text; }
    """

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        if isinstance(self.parent, Conversation):
            await self.parent.restore_earlier()


class Conversation(VerticalScroll):
    """The conversation pane. `handle_event` is its one entry point for engine events."""

    DEFAULT_CSS = """
    Conversation { padding: 0 1; scrollbar-size-vertical: 1; }
    """
    BORDER_TITLE = "Conversation"
    ALLOW_MAXIMIZE = True

    # Past HIGH_WATER blocks or WIDGETS_HIGH widgets the oldest blocks are unmounted down to LOW_WATER
    # and WIDGETS_LOW; scrolling up mounts them again a PAGE at a time while fewer than MAX_MOUNTED are
    # mounted. Widgets count as well as blocks because every layout walks all of them, and one long
    # answer is hundreds (a widget per paragraph, list item and code block).
    HIGH_WATER = 400
    LOW_WATER = 300
    WIDGETS_HIGH = 500
    WIDGETS_LOW = 250
    PAGE = 50
    MAX_MOUNTED = 800

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._current: AssistantText | ThinkingBlock | None = None
        self._tools: dict[str, ToolCallBlock] = {}
        # Blocks drawn by the current model attempt; a retry that discards its partial reply removes them.
        self._attempt: list[Widget] = []
        self._lock = asyncio.Lock()
        self._slice_start = 0.0
        self._pruned: list[Restorer] = []  # unmounted blocks, oldest first
        self._restoring = False
        self._marker = PrunedMarker()
        self._marker.display = False

    def compose(self):  # type: ignore[override]
        yield self._marker

    def on_mount(self) -> None:
        self.anchor()

    # --- blocks drawn by the screen -----------------------------------------------------

    async def add_user(self, text: str, *, queued: bool = False) -> UserPrompt:
        return await self._add(UserPrompt(text, queued=queued))

    async def add_note(self, text: str | Content, level: str = "info") -> NoteBlock:
        return await self._add(NoteBlock(text, level))

    async def add_markdown(self, markdown: str) -> MarkdownNote:
        return await self._add(MarkdownNote(markdown))

    async def add_greeting(self, text: Content) -> Greeting:
        return await self._add(Greeting(text))

    async def add_shell(self, command: str) -> ShellBlock:
        return await self._add(ShellBlock(command))

    async def clear(self) -> None:
        async with self._lock:
            await self._end_block()
            self._tools.clear()
            self._attempt.clear()
            self._pruned.clear()
            self._marker.display = False
            await self.remove_children([w for w in self.children if w is not self._marker])

    # --- engine events -------------------------------------------------------------------

    async def handle_event(self, event: ev.EngineEvent) -> None:
        if event.agent_id is not None:
            return  # a subagent's work shows in the tool log; here only its Agent call line
        async with self._lock:
            await self._handle(event)
        # After a pause the network hands over hundreds of deltas at once; handling them in one go would
        # hold the loop (no frame, no key) until the last one, so let it run between slices of them.
        if time.perf_counter() - self._slice_start > SLICE_S:
            await asyncio.sleep(0)
            self._slice_start = time.perf_counter()

    async def _handle(self, event: ev.EngineEvent) -> None:
        match event:
            case ev.TurnStarted():
                self._attempt.clear()
            case ev.TextDelta(text=text):
                block = self._current
                if not isinstance(block, AssistantText):
                    await self._end_block()
                    block = await self._start(AssistantText())
                block.write(text)
            case ev.ThinkingDelta(text=text):
                block = self._current
                if not isinstance(block, ThinkingBlock):
                    await self._end_block()
                    block = await self._start(ThinkingBlock())
                block.add(text)
            case ev.ToolCallStarted(call_id=call_id, name=name):
                await self._end_block()
                self._attempt.append(await self._tool_block(call_id, name))
            case ev.ToolCallQueued():
                (await self._tool_block(event.call_id, event.name)).queued(event)
            case ev.PermissionRequested(call_id=call_id):
                if tool := self._tools.get(call_id):
                    tool.set_status("waiting")
            case ev.ToolCallRunning(call_id=call_id):
                if tool := self._tools.get(call_id):
                    tool.set_status("running")
            case ev.ToolCallOutput(call_id=call_id, text=text):
                if tool := self._tools.get(call_id):
                    tool.printed(text)
            case ev.FileChanged(call_id=call_id):
                if tool := self._tools.get(call_id):
                    tool.file_changed(event)
            case ev.ToolCallFinished():
                (await self._tool_block(event.call_id, event.name)).finished(event)
            case ev.MessageCompleted(message=message) if message.role == "assistant":
                await self._end_block()
                self._attempt.clear()
            case ev.Retrying():
                await self._end_block()
                if event.discard_partial:
                    await self._discard_attempt()
                delay = f"{event.delay_s:.0f} s" if event.delay_s >= 1 else f"{event.delay_s * 1000:.0f} ms"
                await self._add_unlocked(
                    NoteBlock(f"Retrying ({event.attempt}/{event.max_attempts}) in {delay}: {event.reason}", "retry")
                )
            case ev.Notice(text=text, level=level):
                await self._add_unlocked(NoteBlock(text, level))
            case ev.Error(message=message, kind=kind):
                await self._end_block()
                label = "Error" if kind in ("error", "internal") else f"Error ({kind})"
                await self._add_unlocked(NoteBlock(Content.assemble((f"{label}: ", "bold"), message), "error"))
            case ev.Compacted():
                await self._end_block()
                await self._add_unlocked(
                    NoteBlock(
                        f"Conversation compacted ({event.trigger}): {event.tokens_before:,} → "
                        f"{event.tokens_after:,} tokens, {event.kept_messages} recent messages kept."
                    )
                )
            case ev.TurnFinished(stop_reason=reason):
                await self._end_block()
                for tool in self._tools.values():
                    if not tool.is_finished:
                        tool.set_status("cancelled")
                self._tools.clear()
                if reason == "cancelled":
                    await self._add_unlocked(NoteBlock(INTERRUPTED_NOTE, "warning"))
                elif reason == "refusal":
                    await self._add_unlocked(NoteBlock("The model declined to continue.", "warning"))

    # --- internals ------------------------------------------------------------------------

    async def _start(self, block: Any) -> Any:
        self._current = block
        self._attempt.append(block)
        await self._add_unlocked(block)
        return block

    async def _end_block(self) -> None:
        block, self._current = self._current, None
        if block is not None:
            await block.finish()

    async def _tool_block(self, call_id: str, name: str) -> ToolCallBlock:
        block = self._tools.get(call_id)
        if block is None:
            block = ToolCallBlock(call_id, name)
            self._tools[call_id] = block
            await self._add_unlocked(block)
        return block

    async def _discard_attempt(self) -> None:
        blocks, self._attempt = self._attempt, []
        for block in blocks:
            if isinstance(block, AssistantText):
                await block.finish()
            if isinstance(block, ToolCallBlock):
                self._tools.pop(block.call_id, None)
        await self.remove_children([b for b in blocks if b.parent is self])

    async def _add(self, widget: Any) -> Any:
        async with self._lock:
            return await self._add_unlocked(widget)

    async def _add_unlocked(self, widget: Any) -> Any:
        await self.mount(widget)
        await self._prune()
        return widget

    @property
    def blocks(self) -> list[Widget]:
        """The mounted blocks, oldest first."""
        return [w for w in self.children if w is not self._marker]

    @property
    def unmounted(self) -> int:
        """How many earlier blocks are not mounted now."""
        return len(self._pruned)

    async def load(self, older: list[Restorer], newest: list[Widget]) -> None:
        """Show a stored session: `newest` mounted, `older` kept unmounted until scrolled to."""
        self._pruned.extend(older)
        await self.mount_all(newest)
        self._show_marker()

    async def _prune(self) -> None:
        blocks = self.blocks
        weights = [_weight(block) for block in blocks]
        widgets = sum(weights)
        if len(blocks) <= self.HIGH_WATER and widgets <= self.WIDGETS_HIGH:
            return
        if self._anchor_released:
            return  # the user scrolled up: unmounting above would move what they read; done once they are back
        # Never unmount the block being streamed, a tool call or `!cmd` still running, or a queued prompt.
        keep = {self._current, *self._tools.values()}
        old: list[Widget] = []
        for widget, weight in zip(blocks[:-1], weights, strict=False):
            if len(blocks) - len(old) <= self.LOW_WATER and widgets <= self.WIDGETS_LOW:
                break
            if widget in keep or _is_live(widget):
                break  # keep the order: nothing after a live block goes either
            old.append(widget)
            widgets -= weight
        for widget in old:
            if isinstance(widget, AssistantText):
                await widget.finish()
            self._pruned.append(widget.restorer())  # type: ignore[attr-defined]
        self._show_marker()
        await self.remove_children(old)

    def _show_marker(self) -> None:
        count = len(self._pruned)
        self._marker.display = bool(count)
        if not count:
            return
        if len(self.blocks) >= self.MAX_MOUNTED:
            self._marker.update(f"… {count} earlier blocks are not shown here (the session keeps them)")
        else:
            self._marker.update(f"▲ {count} earlier blocks: scroll up or click to show them")

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < 1 <= old_value and self._pruned and not self._restoring:
            self._restoring = True
            self.call_later(self.restore_earlier)

    async def restore_earlier(self) -> None:
        """Mount the previous page of unmounted blocks above the first one, keeping the view still."""
        try:
            async with self._lock:
                room = self.MAX_MOUNTED - len(self.blocks)
                count = min(self.PAGE, room, len(self._pruned))
                if count <= 0:
                    return
                page = self._pruned[-count:]
                del self._pruned[-count:]
                height, y = self.virtual_size.height, self.scroll_y
                # Under the greeting of a session resumed at start: it stays the first line.
                first = next(iter(self.blocks), None)
                after = first if isinstance(first, Greeting) else self._marker
                await self.mount_all([restore() for restore in page], after=after)
                self._show_marker()
                self.call_after_refresh(self._keep_view, height, y)
        finally:
            self._restoring = False

    def _keep_view(self, old_height: int, old_y: float) -> None:
        self.scroll_to(y=old_y + self.virtual_size.height - old_height, animate=False, immediate=True)


def _weight(widget: Widget) -> int:
    """The widgets a layout walks for this block: itself and what of it is displayed."""
    return 1 + sum(_weight(child) for child in widget.displayed_children)


def _is_live(widget: Widget) -> bool:
    if isinstance(widget, UserPrompt):
        return widget.has_class("-queued")
    return isinstance(widget, ShellBlock) and widget.result is None
