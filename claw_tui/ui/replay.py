"""A stored session drawn again: what each pane needs, built from its messages, events and usage.

Nothing is mounted here. The conversation gets recipes (the `Restorer`s its pruning keeps for
unmounted blocks), so a 5,000-message session costs a list of closures and only about a screenful
becomes widgets. The cost meter and diff pane get the engine events they saw live, rebuilt from the
store's records, and the tool log its records of the calls.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.content import Content
from textual.widgets import Collapsible, Static

from claw_tui.core import events as ev
from claw_tui.core.transcript import (
    INTERRUPTION_MARKERS,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from claw_tui.engine.sessions import UsageRecord
from claw_tui.ui.widgets.conversation import (
    INTERRUPTED_NOTE,
    AssistantText,
    NoteBlock,
    Restorer,
    ToolCallBlock,
    UserPrompt,
)
from claw_tui.ui.widgets.conversation import ThinkingBlock as ThinkingView
from claw_tui.ui.widgets.tool_log import CallRecord as LogRecord
from claw_tui.ui.widgets.tool_preview import Change, hunks_in

REMINDER = "<system-reminder>"  # how the agent wraps what it tells the model with a prompt

# (tool name, input) → the one-line summary the tool log and conversation show
Summarize = Callable[[str, dict[str, Any]], str]


class SummaryBlock(Collapsible):
    """A compaction summary, folded: it stands in for every message above it."""

    DEFAULT_CSS = """
    SummaryBlock { margin: 0; background: transparent; color: $text-muted; border-top: none; padding-bottom: 0; }
    SummaryBlock > Contents { padding: 0 0 0 2; }
    """

    def __init__(self, summary: str) -> None:
        self.summary = summary
        super().__init__(
            Static(Content(summary)), title=f"Summary of the earlier conversation ({len(summary):,} chars)"
        )

    def restorer(self) -> Restorer:
        summary = self.summary
        return lambda: SummaryBlock(summary)


@dataclass
class ToolCall:
    """One tool call as the transcript keeps it: the call in an assistant message, its result in the next."""

    call_id: str
    name: str
    input: dict[str, Any]
    summary: str
    status: str = "cancelled"  # a call with no result never finished (claw was closed during it)
    output: str | None = None
    changes: list[Change] = field(default_factory=list)  # the files it wrote, as recorded

    def answer(self, result: ToolResultBlock) -> None:
        self.output = result.text
        if not result.is_error:
            self.status = "done"
        elif self.output.startswith("Permission to use ") or self.output.startswith("Blocked by a PreToolUse hook"):
            self.status = "denied"
        elif self.output.startswith("Cancelled by the user"):
            self.status = "cancelled"
        else:
            self.status = "failed"

    def restorer(self) -> Restorer:
        def restore() -> ToolCallBlock:
            return ToolCallBlock.stored(
                self.call_id, self.name, self.summary, self.status, self.input, self.output, self.changes
            )

        return restore

    def log_record(self) -> LogRecord:
        """The call as the tool log keeps it (its output cut the way the log cuts it)."""
        record = LogRecord(self.call_id, self.name, status=self.status, summary=self.summary, input=self.input)
        record.hunks_written = sum(hunks_in(c) for c in self.changes)
        record.finish(self.output if self.output is not None else "No result: the call did not complete.")
        return record


@dataclass
class SessionHistory:
    blocks: list[Restorer] = field(default_factory=list)  # conversation blocks, oldest first
    # The fewest rows each block takes (its top margin and one line; a tool call's line has no margin).
    block_rows: list[int] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    file_changes: list[ev.FileChanged] = field(default_factory=list)
    prompt_times: list[float] = field(default_factory=list)  # when each prompt was sent: turn boundaries

    def add(self, block: Restorer, rows: int = 2) -> None:
        self.blocks.append(block)
        self.block_rows.append(rows)

    def newest_filling(self, rows: int) -> int:
        """How many of the newest blocks it takes to fill `rows` rows for sure."""
        count = filled = 0
        for block_rows in reversed(self.block_rows):
            if filled >= rows:
                break
            count, filled = count + 1, filled + block_rows
        return count


def build_history(
    messages: Sequence[Message], events: Iterable[dict[str, Any]], summarize: Summarize
) -> SessionHistory:
    """Everything the panes show for a stored session, without creating a widget."""
    compactions: dict[str, ev.Compacted] = {}
    edited: dict[str, str] = {}
    history = SessionHistory()
    for record in events:
        kind = record.get("type")
        if kind == "compacted":
            done = ev.Compacted.model_validate(record)
            compactions[done.summary_message_id] = done
        elif kind == "summary_edited":
            edited[record.get("message_id", "")] = record.get("text", "")
        elif kind == "file_changed":
            history.file_changes.append(ev.FileChanged.model_validate(record))
    calls: dict[str, ToolCall] = {}
    skip = 0
    for message in messages:
        if skip:  # the messages a compaction kept are stored again after its summary; they were drawn already
            skip -= 1
            continue
        if message.is_compaction_summary:
            history.add(_note(_compaction_line(compactions.get(message.id))))
            history.add(_summary(edited.get(message.id, message.text)), rows=1)
            skip = done.kept_messages if done is not None else 0
        elif message.role == "user":
            for result in message.tool_results:
                if (call := calls.get(result.tool_use_id)) is not None:
                    call.answer(result)
            texts = [b.text for b in message.content if isinstance(b, TextBlock)]
            # The user stopped the turn: marked as it was live. A loaded transcript is repaired, which
            # merges the marker with the prompt typed after it into one message.
            if any(text in INTERRUPTION_MARKERS for text in texts):
                history.add(_note(INTERRUPTED_NOTE, "warning"))
            # What the user typed: notes claw sent along (an /undo, a !command) come first, as reminders.
            typed = next((t for t in texts if t not in INTERRUPTION_MARKERS and not t.startswith(REMINDER)), "")
            if typed.strip():
                history.add(_user(typed))
                history.prompt_times.append(message.created_at)
        else:
            _assistant(message, history, calls, summarize)
    history.calls = list(calls.values())
    for change in history.file_changes:
        if (call := calls.get(change.call_id)) is not None:
            call.changes.append(Change(change.path, change.before, change.after))
    return history


def _assistant(message: Message, history: SessionHistory, calls: dict[str, ToolCall], summarize: Summarize) -> None:
    text: list[str] = []  # consecutive text blocks stream into one block live

    def flush() -> None:
        if text:
            history.add(_markdown("".join(text)))
            text.clear()

    for block in message.content:
        if isinstance(block, TextBlock):
            text.append(block.text)
            continue
        flush()
        if isinstance(block, ThinkingBlock) and block.thinking.strip():
            history.add(_thinking(block.thinking))
        elif isinstance(block, ToolUseBlock):
            call = ToolCall(block.id, block.name, dict(block.input), summarize(block.name, block.input))
            calls[block.id] = call
            history.add(call.restorer(), rows=1)
    flush()


def usage_turns(records: Sequence[UsageRecord], prompt_times: Sequence[float]) -> list[list[ev.Usage]]:
    """Usage records as the Usage events of each turn, a turn being the calls after one prompt."""
    turns: list[list[ev.Usage]] = [[] for _ in range(max(len(prompt_times), 1))]
    for u in records:
        turn = max(bisect_right(prompt_times, u.ts) - 1, 0)
        turns[turn].append(
            ev.Usage(
                model=u.model,
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_read_tokens=u.cache_read_tokens,
                cache_write_tokens=u.cache_write_tokens,
                cost_usd=u.cost_usd,
                context_tokens=u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens,
                ts=u.ts,
            )
        )
    return turns if any(turns) else []


def _compaction_line(done: ev.Compacted | None) -> str:
    if done is None:
        return "Conversation compacted: the summary below stands in for the earlier messages."
    return (
        f"Conversation compacted ({done.trigger}): {done.tokens_before:,} → "
        f"{done.tokens_after:,} tokens, {done.kept_messages} recent messages kept."
    )


def _user(text: str) -> Restorer:
    return lambda: UserPrompt(text)


def _markdown(text: str) -> Restorer:
    return lambda: AssistantText(text)


def _note(text: str, level: str = "info") -> Restorer:
    return lambda: NoteBlock(text, level)


def _summary(text: str) -> Restorer:
    return lambda: SummaryBlock(text)


def _thinking(text: str) -> Restorer:
    def restore() -> ThinkingView:
        block = ThinkingView()
        block.add(text)
        return block

    return restore
