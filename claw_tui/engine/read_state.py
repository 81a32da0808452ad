"""What the model of a stored session had read, so its first Edit after a resume is judged as it was.

A file the model read (or wrote) in the history it sees is fresh when it has not changed since that
message: its modification time is no later than the message's. One that changed since is marked so
that the Edit tool says it changed, rather than that it was never read. Files read before the last
compaction are not counted: the model no longer sees their contents.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from claw_tui.core.transcript import Message
from claw_tui.tools.base import FileState, ToolContext

# Tools whose success means the model saw the file's content as it is after the call.
SEEING_TOOLS = frozenset({"Read", "Write", "Edit", "NotebookEdit"})


def read_state(messages: Iterable[Message], ctx: ToolContext) -> dict[Path, FileState]:
    seen: dict[str, tuple[str, str]] = {}  # call id → (tool, path) of calls that see a file
    last_seen: dict[Path, float] = {}  # path → when its latest successful call's result was stored
    for message in messages:
        for call in message.tool_uses:
            path = call.input.get("file_path") or call.input.get("notebook_path")
            if call.name in SEEING_TOOLS and isinstance(path, str) and path:
                seen[call.id] = (call.name, path)
        for result in message.tool_results:
            if result.tool_use_id in seen and not result.is_error:
                last_seen[ctx.resolve(seen[result.tool_use_id][1])] = message.created_at
    state: dict[Path, FileState] = {}
    for path, when in last_seen.items():
        try:
            st = path.stat()
        except OSError:
            continue  # gone since: a Write creates it again without reading
        when_ns = int(when * 1e9)
        # Changed since it was seen: a size no file has, so the check finds it stale and says so.
        state[path] = FileState(st.st_mtime_ns, st.st_size) if st.st_mtime_ns <= when_ns else FileState(when_ns, -1)
    return state


def session_model(messages: Iterable[Message]) -> str | None:
    """The model that answered last in a stored session."""
    return next((m.model for m in reversed(list(messages)) if m.role == "assistant" and m.model), None)
