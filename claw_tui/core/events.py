"""Engine events: the contract between the engine and every front end.

The TUI wraps each in a Textual message, headless `--output-format claw-events` prints
each as one JSON line. Adding an event only needs a change in the consumer that renders it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from claw_tui.core.transcript import Message


class Event(BaseModel):
    # Built when first made: a run makes a handful of the kinds below, and building all of
    # them (with the union) at import took 30 ms of every start.
    model_config = ConfigDict(defer_build=True)

    # None for the main agent; a subagent's events carry the id of the Agent call that spawned it.
    agent_id: str | None = None
    ts: float = Field(default_factory=time.time)


class TurnStarted(Event):
    type: Literal["turn_started"] = "turn_started"
    turn_id: str
    model: str


class TextDelta(Event):
    type: Literal["text_delta"] = "text_delta"
    text: str


class ThinkingDelta(Event):
    type: Literal["thinking_delta"] = "thinking_delta"
    text: str


class ToolCallStarted(Event):
    """The model began a tool call; its input streams in ToolCallInputDelta events."""

    type: Literal["tool_call_started"] = "tool_call_started"
    call_id: str
    name: str


class ToolCallInputDelta(Event):
    type: Literal["tool_call_input_delta"] = "tool_call_input_delta"
    call_id: str
    partial_json: str


ToolStatus = Literal["queued", "waiting", "running", "done", "failed", "denied", "cancelled"]


class ToolCallQueued(Event):
    """The call's input is complete and parsed; it waits for permission and its turn."""

    type: Literal["tool_call_queued"] = "tool_call_queued"
    call_id: str
    name: str
    input: dict[str, Any]
    summary: str = ""  # one line for the log, e.g. "Read src/app.py"


class PermissionRequested(Event):
    type: Literal["permission_requested"] = "permission_requested"
    call_id: str
    name: str
    reason: str


class PermissionDecided(Event):
    type: Literal["permission_decided"] = "permission_decided"
    call_id: str
    behavior: Literal["allow", "deny"]
    # Who decided: a rule ("allow rule Bash(git status:*) from project settings"), a mode
    # ("mode acceptEdits"), a hook, or the user.
    decided_by: str


class ToolCallRunning(Event):
    type: Literal["tool_call_running"] = "tool_call_running"
    call_id: str


class ToolCallOutput(Event):
    """Progress output of a long-running call (a Bash command's lines)."""

    type: Literal["tool_call_output"] = "tool_call_output"
    call_id: str
    text: str


class FileChanged(Event):
    """A tool wrote a file: the diff pane shows it."""

    type: Literal["file_changed"] = "file_changed"
    call_id: str
    path: str
    before: str | None
    after: str


class ToolCallFinished(Event):
    type: Literal["tool_call_finished"] = "tool_call_finished"
    call_id: str
    name: str
    status: ToolStatus
    output: str  # text sent back to the model (possibly cut for display)
    is_error: bool = False
    duration_ms: float = 0.0
    metadata: dict[str, Any] = Field(default_factory=dict)


class Usage(Event):
    type: Literal["usage"] = "usage"
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None  # None when the model's price is unknown
    context_tokens: int = 0  # what the last request held: input + cache read + cache write
    context_window: int | None = None


class Retrying(Event):
    type: Literal["retrying"] = "retrying"
    attempt: int
    max_attempts: int
    delay_s: float
    reason: str
    kind: str = ""  # what failed, as ProviderError.kind: rate_limit, overloaded, server, network, stream
    status: int | None = None  # the HTTP status of the failed attempt, when it had one
    # The partial reply of the failed attempt is dropped; front ends clear what they drew of it.
    discard_partial: bool = False


class Notice(Event):
    """Something the user should see that is not an error (sandbox off, a hook's message)."""

    type: Literal["notice"] = "notice"
    text: str
    level: Literal["info", "warning"] = "info"


class Error(Event):
    type: Literal["error"] = "error"
    message: str
    kind: str = "error"  # auth, bad_request, rate_limit, quota, overloaded, network, tool, internal
    fatal: bool = True
    status: int | None = None  # the provider's HTTP status, for an API error that had one


class MessageCompleted(Event):
    """A message is complete and now part of the transcript (the store appends it)."""

    type: Literal["message_completed"] = "message_completed"
    message: Message


class Compacted(Event):
    """Older messages were replaced by a summary; front ends draw the boundary and show it."""

    type: Literal["compacted"] = "compacted"
    summary_message_id: str
    summary: str
    trigger: Literal["manual", "auto"]
    tokens_before: int
    tokens_after: int
    kept_messages: int


class TurnFinished(Event):
    type: Literal["turn_finished"] = "turn_finished"
    turn_id: str
    # stopped_by_hook: a hook answered `"continue": false` (its stopReason came as a Notice)
    stop_reason: Literal["end_turn", "max_turns", "cancelled", "error", "budget", "refusal", "stopped_by_hook"]
    turns: int = 0


EngineEvent = Annotated[
    TurnStarted
    | TextDelta
    | ThinkingDelta
    | ToolCallStarted
    | ToolCallInputDelta
    | ToolCallQueued
    | PermissionRequested
    | PermissionDecided
    | ToolCallRunning
    | ToolCallOutput
    | FileChanged
    | ToolCallFinished
    | Usage
    | Retrying
    | Notice
    | Error
    | MessageCompleted
    | Compacted
    | TurnFinished,
    Field(discriminator="type"),
]
