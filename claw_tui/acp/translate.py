"""Engine events and stored transcripts as ACP session updates.

One `TurnTranslator` per prompt turn follows the engine's events and says which updates the
client gets: message and thought chunks, tool calls with kind, status, locations and content
(edits as diffs, command output as text), and notices. `replay` turns a stored session into
the same updates for `session/load`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from acp import helpers
from acp import schema as s

from claw_tui.core import events as ev
from claw_tui.core.tasks import TaskGraph
from claw_tui.core.transcript import ImageBlock, Message, TextBlock, ThinkingBlock, ToolResultBlock, ToolUseBlock

SessionUpdate = Any  # one of the SDK's session update models

# What a client's icon and grouping should say of each of claw's tools.
_KINDS: dict[str, str] = {
    "Read": "read", "TaskOutput": "read",
    "Write": "edit", "Edit": "edit", "NotebookEdit": "edit",
    "Glob": "search", "Grep": "search", "LSP": "search",
    "Bash": "execute", "TaskStop": "execute", "Git": "execute",
    "WebFetch": "fetch", "WebSearch": "fetch",
    "EnterPlanMode": "switch_mode", "ExitPlanMode": "switch_mode",
    "TaskCreate": "think", "TaskUpdate": "think", "TaskGet": "think", "TaskList": "think",
    "Agent": "think", "SendMessage": "think", "Skill": "think",
}  # fmt: skip
_PATH_KEYS = ("file_path", "notebook_path", "path")
# Command output shown in the client per call: the tail, so a long build costs bounded memory.
LIVE_OUTPUT_CHARS = 20_000
RESULT_CHARS = 20_000


def tool_kind(name: str) -> str:
    return _KINDS.get(name, "other")


def _status(status: ev.ToolStatus) -> str:
    if status == "done":
        return "completed"
    if status in ("failed", "denied", "cancelled"):
        return "failed"
    if status == "running":
        return "in_progress"
    return "pending"


def locations(tool_input: dict[str, Any], cwd: Path) -> list[s.ToolCallLocation] | None:
    """The file a call is about, as an absolute path (what ACP clients follow)."""
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            line = tool_input.get("offset") if key == "file_path" and isinstance(tool_input.get("offset"), int) else None
            return [s.ToolCallLocation(path=str(path if path.is_absolute() else cwd / path), line=line)]
    return None


def diff_content(path: Path, before: str | None, after: str) -> s.FileEditToolCallContent:
    return helpers.tool_diff_content(str(path), after, before)


def text_content(text: str) -> s.ContentToolCallContent:
    return helpers.tool_content(helpers.text_block(text))


def fenced(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text.rstrip()}\n{fence}"


def result_content(name: str, output: str) -> list[Any]:
    """A finished call's result as the client shows it: command output fenced, cut to its tail."""
    if not output:
        return []
    if len(output) > RESULT_CHARS:
        output = f"… [{len(output) - RESULT_CHARS} characters before]\n" + output[-RESULT_CHARS:]
    return [text_content(fenced(output) if name in ("Bash", "TaskOutput", "Git") else output)]


def plan_entries(graph: TaskGraph) -> list[s.PlanEntry]:
    """The task graph as ACP's plan: every live task, in the graph's order."""
    entries = []
    for task in graph.list():
        status = task.status if task.status in ("pending", "in_progress", "completed") else "pending"
        entries.append(helpers.plan_entry(task.subject, priority="medium", status=status))  # type: ignore[arg-type]
    return entries


class TurnTranslator:
    """Engine events → session updates for one turn; remembers what each call needs later."""

    def __init__(self, cwd: Path, terminal_calls: set[str] | None = None) -> None:
        self.cwd = cwd
        self.terminal_calls = terminal_calls if terminal_calls is not None else set()
        self.names: dict[str, str] = {}  # call id → tool name
        self.open_calls: set[str] = set()  # started, not finished: marked failed if the turn is cancelled
        self._edits: dict[str, list[Any]] = {}  # call id → diffs of what it wrote
        self._output: dict[str, str] = {}  # call id → command output so far

    def updates(self, event: ev.EngineEvent) -> Iterator[SessionUpdate]:
        if isinstance(event, ev.TextDelta) and event.agent_id is None:
            yield helpers.update_agent_message_text(event.text)
        elif isinstance(event, ev.ThinkingDelta) and event.agent_id is None:
            yield helpers.update_agent_thought_text(event.text)
        elif isinstance(event, ev.ToolCallStarted):
            self.names[event.call_id] = event.name
            self.open_calls.add(event.call_id)
            yield helpers.start_tool_call(event.call_id, event.name, kind=tool_kind(event.name), status="pending")  # type: ignore[arg-type]
        elif isinstance(event, ev.ToolCallQueued):
            if event.call_id not in self.names:  # a subagent's call, or a call made without streaming
                self.names[event.call_id] = event.name
                self.open_calls.add(event.call_id)
                yield helpers.start_tool_call(
                    event.call_id, event.summary or event.name, kind=tool_kind(event.name), status="pending",  # type: ignore[arg-type]
                    locations=locations(event.input, self.cwd), raw_input=event.input,
                )
            else:
                yield helpers.update_tool_call(
                    event.call_id, title=event.summary or event.name, raw_input=event.input,
                    locations=locations(event.input, self.cwd),
                )
        elif isinstance(event, ev.ToolCallRunning):
            yield helpers.update_tool_call(event.call_id, status="in_progress")
        elif isinstance(event, ev.ToolCallOutput):
            text = (self._output.get(event.call_id, "") + event.text)[-LIVE_OUTPUT_CHARS:]
            self._output[event.call_id] = text
            yield helpers.update_tool_call(event.call_id, content=[text_content(fenced(text))])
        elif isinstance(event, ev.FileChanged):
            path = Path(event.path)
            diffs = self._edits.setdefault(event.call_id, [])
            diffs.append(diff_content(path if path.is_absolute() else self.cwd / path, event.before, event.after))
            yield helpers.update_tool_call(event.call_id, content=list(diffs))
        elif isinstance(event, ev.ToolCallFinished):
            self.open_calls.discard(event.call_id)
            self._output.pop(event.call_id, None)
            diffs = self._edits.pop(event.call_id, [])
            if event.call_id in self.terminal_calls:  # the client's terminal shows the output
                self.terminal_calls.discard(event.call_id)
                content = None
            else:
                content = diffs if diffs and not event.is_error else result_content(event.name, event.output)
            yield helpers.update_tool_call(
                event.call_id, status=_status(event.status), content=content, raw_output=event.output  # type: ignore[arg-type]
            )
        elif isinstance(event, ev.Retrying) and event.agent_id is None:
            yield helpers.update_agent_thought_text(
                f"{event.reason} Retrying in {event.delay_s:.1f} s (retry {event.attempt} of {event.max_attempts}).\n"
            )
        elif isinstance(event, ev.Notice) and event.agent_id is None:
            yield helpers.update_agent_message_text(f"\n> {event.text}\n\n")
        elif isinstance(event, ev.Error) and not event.fatal and event.agent_id is None:
            yield helpers.update_agent_message_text(f"\n> {event.message}\n\n")
        elif isinstance(event, ev.Compacted):
            yield helpers.update_agent_message_text(
                f"\n> Compacted the conversation ({event.trigger}): {event.tokens_before} → {event.tokens_after} tokens.\n\n"
            )

    def cancelled(self) -> Iterator[SessionUpdate]:
        """Calls still open when the turn was cancelled end as failed."""
        for call_id in sorted(self.open_calls):
            yield helpers.update_tool_call(call_id, status="failed", content=[text_content("Cancelled by the user.")])
        self.open_calls.clear()


def replay(
    messages: list[Message], cwd: Path, summaries: dict[str, str], file_changes: dict[str, list[dict[str, Any]]]
) -> Iterator[SessionUpdate]:
    """A stored conversation as the updates that would have drawn it, for `session/load`.

    `summaries` gives each known call's one-line title; `file_changes` the writes stored per call id.
    """
    names: dict[str, str] = {}
    for message in messages:
        if message.is_compaction_summary:
            yield helpers.update_agent_message_text(f"> Summary of the earlier conversation:\n\n{message.text}\n\n")
            continue
        interrupted = message.is_interruption  # the user stopped the turn here: a note after the cut calls' results
        if interrupted:
            message = message.model_copy(update={"content": message.tool_results})
        for block in message.content:
            if isinstance(block, TextBlock) and block.text:
                if message.role == "user":
                    yield helpers.update_user_message_text(block.text)
                else:
                    yield helpers.update_agent_message_text(block.text)
            elif isinstance(block, ImageBlock):
                image = helpers.image_block(block.data, block.media_type)
                yield helpers.update_user_message(image) if message.role == "user" else helpers.update_agent_message(image)
            elif isinstance(block, ThinkingBlock) and block.thinking:
                yield helpers.update_agent_thought_text(block.thinking)
            elif isinstance(block, ToolUseBlock):
                names[block.id] = block.name
                yield helpers.start_tool_call(
                    block.id, summaries.get(block.id, block.name), kind=tool_kind(block.name), status="pending",  # type: ignore[arg-type]
                    locations=locations(block.input, cwd), raw_input=block.input,
                )
            elif isinstance(block, ToolResultBlock):
                diffs = [
                    diff_content(cwd / c["path"], c.get("before"), c.get("after", ""))
                    for c in file_changes.get(block.tool_use_id, [])
                ]
                content = diffs if diffs and not block.is_error else result_content(names.get(block.tool_use_id, ""), block.text)
                yield helpers.update_tool_call(
                    block.tool_use_id, status="failed" if block.is_error else "completed", content=content,
                    raw_output=block.text,
                )
        if interrupted:
            yield helpers.update_agent_message_text("\n> Interrupted by the user.\n\n")
