"""Provider-neutral messages and content blocks.

Every provider converts to and from these, so a conversation started with one model can
continue with another (Anthropic <-> OpenAI included) and the session store keeps one shape.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# What a turn the user stopped leaves in the history: Claude Code's own markers, which its models know,
# stored as a user message of their own and sent with the next prompt.
INTERRUPTED = "[Request interrupted by user]"
INTERRUPTED_FOR_TOOL_USE = "[Request interrupted by user for tool use]"
INTERRUPTION_MARKERS = (INTERRUPTED, INTERRUPTED_FOR_TOOL_USE)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class TextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ImageBlock(BaseModel):
    type: Literal["image"] = "image"
    media_type: str  # e.g. "image/png"
    data: str  # base64


class ThinkingBlock(BaseModel):
    type: Literal["thinking"] = "thinking"
    thinking: str
    # Anthropic signs thinking so it can be sent back; other providers' thinking is
    # shown but never replayed to a different provider.
    signature: str | None = None
    redacted_data: str | None = None
    provider: str | None = None


class ToolUseBlock(BaseModel):
    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ToolResultBlock(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: list[TextBlock | ImageBlock] = Field(default_factory=list)
    is_error: bool = False

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.content if isinstance(b, TextBlock))


ContentBlock = Annotated[
    TextBlock | ImageBlock | ThinkingBlock | ToolUseBlock | ToolResultBlock,
    Field(discriminator="type"),
]


class Message(BaseModel):
    id: str = Field(default_factory=lambda: new_id("msg"))
    role: Literal["user", "assistant"]
    content: list[ContentBlock] = Field(default_factory=list)
    # The model that wrote an assistant message ("anthropic/claude-sonnet-4-5").
    model: str | None = None
    created_at: float = Field(default_factory=time.time)
    # A compaction summary stands in for everything before it.
    is_compaction_summary: bool = False

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]

    @property
    def tool_results(self) -> list[ToolResultBlock]:
        return [b for b in self.content if isinstance(b, ToolResultBlock)]

    @property
    def is_interruption(self) -> bool:
        """The user stopped the turn here (claw's marker or Claude Code's, alone or after the cut calls' results)."""
        return self.role == "user" and self.text in INTERRUPTION_MARKERS


def user_text(text: str) -> Message:
    return Message(role="user", content=[TextBlock(text=text)])


def interruption(*, during_tool_use: bool) -> Message:
    """The marker a stopped turn leaves: Claude Code's words for a stop while a tool ran, or else."""
    return user_text(INTERRUPTED_FOR_TOOL_USE if during_tool_use else INTERRUPTED)


def tool_result(tool_use_id: str, text: str, *, is_error: bool = False) -> ToolResultBlock:
    return ToolResultBlock(tool_use_id=tool_use_id, content=[TextBlock(text=text)], is_error=is_error)


def repair(messages: list[Message]) -> list[Message]:
    """Return a transcript every provider accepts.

    Every tool_use must be answered by a tool_result in the next user message; after a
    cancel or crash some may not be. Unanswered calls get a "cancelled" error result, a
    tool_result that answers no call of the message before it (a damaged record was
    skipped) is dropped, and consecutive user messages are merged.
    """
    out: list[Message] = []
    asked: set[str] = set()  # the calls of the last assistant message
    for i, msg in enumerate(messages):
        if msg.role == "assistant":
            asked = {u.id for u in msg.tool_uses}
        elif msg.tool_results:
            kept = [b for b in msg.content if not isinstance(b, ToolResultBlock) or b.tool_use_id in asked]
            if len(kept) != len(msg.content):
                if not kept:
                    continue
                msg = msg.model_copy(update={"content": kept})
        out.append(msg)
        if msg.role != "assistant" or not msg.tool_uses:
            continue
        nxt = messages[i + 1] if i + 1 < len(messages) else None
        answered = {r.tool_use_id for r in nxt.tool_results} if nxt and nxt.role == "user" else set()
        missing = [u for u in msg.tool_uses if u.id not in answered]
        if missing:
            out.append(
                Message(
                    role="user",
                    content=[tool_result(u.id, "Cancelled by the user; the call did not complete.", is_error=True) for u in missing],
                )
            )
    merged: list[Message] = []
    for msg in out:
        if merged and merged[-1].role == msg.role == "user" and not merged[-1].is_compaction_summary:
            prev = merged[-1]
            # tool results must come first in a user message
            blocks = list(prev.content) + list(msg.content)
            blocks.sort(key=lambda b: 0 if isinstance(b, ToolResultBlock) else 1)
            merged[-1] = prev.model_copy(update={"content": blocks})
        else:
            merged.append(msg)
    return merged
