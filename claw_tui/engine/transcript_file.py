"""The session as a JSONL file in Claude Code's transcript shape, for hook scripts to read.

Every hook event carries `transcript_path`. Claude Code points it at its own session file
(`~/.claude/projects/<dir>/<id>.jsonl`); claw writes the same shape into its data directory
(`<data>/transcripts/<session id>.jsonl`, a subagent's under `<session id>/subagents/`) rather
than into Claude Code's folder, so claw's sessions never show up in Claude Code's `--resume`.
One line per message as it is committed: `type` "user" or "assistant", `uuid`, `parentUuid`,
`sessionId`, `cwd`, `timestamp`, and `message` holding Messages-API content blocks (text,
thinking, tool_use, tool_result, image) whatever the provider. A compaction writes Claude
Code's `compact_boundary` line before the summary (`isCompactSummary`). The file exists only
while hooks are configured, and is rewritten from the store when a session is resumed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from claw_tui.core.transcript import ImageBlock, Message, TextBlock, ThinkingBlock, ToolResultBlock, ToolUseBlock

VERSION = "claw"


def transcript_dir() -> Path:
    from claw_tui.config import user_data_dir

    return user_data_dir() / "transcripts"


class TranscriptFile:
    def __init__(self, path: Path, session_id: str, cwd: Path) -> None:
        self.path = path
        self.session_id = session_id
        self.cwd = cwd
        self._last_uuid: str | None = None

    @classmethod
    def for_session(cls, session_id: str, cwd: Path) -> TranscriptFile:
        return cls(transcript_dir() / f"{session_id}.jsonl", session_id, cwd)

    @classmethod
    def for_subagent(cls, session_id: str, agent_id: str, cwd: Path) -> TranscriptFile:
        return cls(transcript_dir() / session_id / "subagents" / f"agent-{agent_id}.jsonl", session_id, cwd)

    def touch(self) -> str:
        """Make sure the file exists (a hook may read it before the first message); its path."""
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
        return str(self.path)

    def append(self, message: Message) -> None:
        self._write([message], "a")

    def rewrite(self, messages: list[Message]) -> None:
        self._last_uuid = None
        self._write(messages, "w")

    def _write(self, messages: list[Message], mode: str) -> None:
        lines: list[str] = []
        for message in messages:
            if message.is_compaction_summary:
                lines.append(json.dumps(self._boundary(message)))
            line = self.line(message)
            self._last_uuid = line["uuid"]
            lines.append(json.dumps(line, ensure_ascii=False))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open(mode, encoding="utf-8") as f:
                f.writelines(line + "\n" for line in lines)
        except OSError:
            pass  # the file is a courtesy to hook scripts; a full disk must not stop the session

    def _common(self, uuid: str, when: float) -> dict[str, Any]:
        return {
            "parentUuid": self._last_uuid,
            "isSidechain": "subagents" in self.path.parts,
            "userType": "external",
            "cwd": str(self.cwd),
            "sessionId": self.session_id,
            "version": VERSION,
            "uuid": uuid,
            "timestamp": datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z"),
        }

    def _boundary(self, summary: Message) -> dict[str, Any]:
        line = self._common(f"{summary.id}-boundary", summary.created_at)
        line.update(type="system", subtype="compact_boundary", content="Conversation compacted", level="info")
        self._last_uuid = line["uuid"]
        return line

    def line(self, message: Message) -> dict[str, Any]:
        line = self._common(message.id, message.created_at)
        blocks = [b for b in (content_block(block) for block in message.content) if b is not None]
        if message.role == "assistant":
            model = (message.model or "").partition("/")[2] or message.model or ""
            body: dict[str, Any] = {"id": message.id, "type": "message", "role": "assistant", "model": model,
                                    "content": blocks}
        else:
            body = {"role": "user", "content": blocks}
        line.update(type=message.role, message=body)
        if message.is_compaction_summary:
            line["isCompactSummary"] = True
        return line


def content_block(block: Any) -> dict[str, Any] | None:
    """A transcript block as a Messages-API content block."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ImageBlock):
        return {"type": "image", "source": {"type": "base64", "media_type": block.media_type, "data": block.data}}
    if isinstance(block, ThinkingBlock):
        if block.redacted_data:
            return {"type": "redacted_thinking", "data": block.redacted_data}
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature or ""}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ToolResultBlock):
        content = [c for c in (content_block(b) for b in block.content) if c is not None]
        return {"type": "tool_result", "tool_use_id": block.tool_use_id, "content": content, "is_error": block.is_error}
    return None
