"""What a test scripts: replies made of parts, with optional faults.

One `Reply` answers one request on whichever wire it arrives (Anthropic Messages, OpenAI
Chat Completions, OpenAI Responses); each wire module renders it in its own format.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal


def make_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass
class Text:
    text: str


@dataclass
class Thinking:
    text: str
    signature: str | None = None  # Anthropic signs thinking; a default one is made up

    def __post_init__(self) -> None:
        if self.signature is None:
            self.signature = "sig_" + uuid.uuid4().hex


@dataclass
class ToolCall:
    name: str
    input: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # default: a fresh toolu_… / call_… id on each wire


@dataclass
class WebSearchCall:
    """The provider's own web search inside the reply: Anthropic's server_tool_use and
    web_search_tool_result blocks, OpenAI Responses' web_search_call item (with the results as
    url_citation annotations on the next text)."""

    query: str
    results: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    error: str | None = None  # Anthropic's web_search_tool_result_error code instead of results


Part = Text | Thinking | ToolCall | WebSearchCall

FaultKind = Literal["http", "error_event", "cut", "no_stop", "stall"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    retry_after: float | None = None
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    after_events: int | None = None
    seconds: float = 0.0
    error_type: str = "overloaded_error"
    body: dict[str, Any] | None = None  # an error body sent as it is, instead of the wire's own

    @classmethod
    def http(
        cls,
        status: int,
        retry_after: float | None = None,
        message: str = "",
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Fault:
        """Answer with this HTTP status and the wire's error body, or `body` as given (a provider's
        real quota or spend-limit answer), and a retry-after header."""
        return cls("http", status=status, retry_after=retry_after, message=message, headers=dict(headers or {}),
                   body=body)

    @classmethod
    def error_event(cls, after_events: int = 3, error_type: str = "overloaded_error", message: str = "") -> Fault:
        """HTTP 200, then an error event in the stream after this many events."""
        return cls("error_event", after_events=after_events, error_type=error_type, message=message)

    @classmethod
    def cut(cls, after_events: int = 3) -> Fault:
        """Close the connection abruptly after this many events (no chunked terminator)."""
        return cls("cut", after_events=after_events)

    @classmethod
    def no_stop(cls, after_events: int | None = None) -> Fault:
        """End the body cleanly but leave out the stop event(s); or stop after N events."""
        return cls("no_stop", after_events=after_events)

    @classmethod
    def stall(cls, after_events: int = 3, seconds: float = 30.0) -> Fault:
        """Send nothing for `seconds` after this many events, then carry on."""
        return cls("stall", after_events=after_events, seconds=seconds)


@dataclass
class Reply:
    parts: list[Part] = field(default_factory=list)
    stop_reason: str | None = None  # default: "tool_use" if any ToolCall else "end_turn"
    usage: dict[str, int] | None = None  # input_tokens, output_tokens, cache_read, cache_write
    token_delay: float = 0.0
    fault: Fault | None = None
    # Send only the first half of each tool call's JSON (a call cut by max_tokens).
    truncate_tool_json: bool = False
    # Routing for concurrent clients (subagents): this reply answers only a request whose first
    # user message contains `when`. A request takes the first queued reply whose `when` matches,
    # else the first queued reply without one; replies without `when` keep the plain FIFO order.
    when: str | None = None

    @property
    def final_stop_reason(self) -> str:
        if self.stop_reason:
            return self.stop_reason
        return "tool_use" if any(isinstance(p, ToolCall) for p in self.parts) else "end_turn"

    @property
    def searches(self) -> list[WebSearchCall]:
        return [p for p in self.parts if isinstance(p, WebSearchCall)]

    def token_usage(self, request_body: bytes) -> dict[str, int]:
        """The usage this reply reports: scripted, or derived from the sizes involved."""
        derived = {
            "input_tokens": max(1, len(request_body) // 4),
            "output_tokens": max(1, sum(_part_tokens(p) for p in self.parts)),
            "cache_read": 0,
            "cache_write": 0,
        }
        derived.update(self.usage or {})
        return derived


def _part_tokens(part: Part) -> int:
    if isinstance(part, WebSearchCall):
        return 1
    if isinstance(part, ToolCall):
        return max(1, len(json.dumps(part.input)) // 4)
    return len(part.text.split())


def words(text: str) -> list[str]:
    """Split text into streaming deltas: one word with its trailing space each."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def json_pieces(part: ToolCall, truncate: bool) -> list[str]:
    """A tool call's input JSON in several chunks (cut in half when truncating)."""
    text = json.dumps(part.input)
    if truncate:
        text = text[: max(1, len(text) // 2)]
    if len(text) < 2:
        return [text]
    size = max(1, -(-len(text) // 3))
    return [text[i : i + size] for i in range(0, len(text), size)]
