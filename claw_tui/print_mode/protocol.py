"""Claude Code's stream-json messages, made from claw's engine events.

`ClaudeStream` turns one session's events into what `claude -p --output-format stream-json
--verbose` writes: a `system`/`init` line, `assistant` and `user` messages whose content is
Messages-API blocks whichever provider answered, `stream_event` lines (Anthropic's streaming
events, rebuilt from claw's deltas) with --include-partial-messages, `system` lines for retries,
denials and compaction, and one `result` per turn. `--output-format json` prints that result.
The shapes follow the recordings of Claude Code in tests/print_mode/recordings.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from claw_tui.core import events as ev
from claw_tui.core.transcript import ImageBlock, Message, TextBlock, ThinkingBlock, ToolResultBlock, ToolUseBlock

# How the providers say a request was over the context window (Claude Code's "prompt_too_long").
_TOO_LONG = re.compile(r"too long|context.length|maximum context", re.IGNORECASE)


def protocol_model(model: str) -> str:
    """A model as Claude Code names it: the provider's own id for Anthropic and OpenAI models
    (`claude-sonnet-5-5`, which `--model` takes back), the full id for a local one (`local/llama3`)."""
    provider, _, native = model.partition("/")
    return native if provider in ("anthropic", "openai") and native else model


def content_block(block: Any) -> dict[str, Any]:
    """A transcript block as a Messages-API content block."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ThinkingBlock):
        if block.redacted_data is not None:
            return {"type": "redacted_thinking", "data": block.redacted_data}
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature or ""}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ImageBlock):
        return {"type": "image", "source": {"type": "base64", "media_type": block.media_type, "data": block.data}}
    if isinstance(block, ToolResultBlock):
        images = [b for b in block.content if isinstance(b, ImageBlock)]
        content: Any = [content_block(b) for b in block.content] if images else block.text
        out: dict[str, Any] = {"tool_use_id": block.tool_use_id, "type": "tool_result", "content": content}
        if block.is_error:
            out["is_error"] = True
        return out
    raise TypeError(f"no Messages-API form for {type(block).__name__}")


def _usage_dict(input_tokens: int, output_tokens: int, cache_read: int, cache_write: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "output_tokens": output_tokens,
    }


@dataclass
class ModelTotals:
    """One model's usage over the session, as Claude Code's `modelUsage` reports it."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    context_window: int | None = None
    max_output: int | None = None

    def add(self, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int, cost: float | None) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cache_read_tokens += cache_read
        self.cache_write_tokens += cache_write
        self.cost_usd += cost or 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "cacheReadInputTokens": self.cache_read_tokens,
            "cacheCreationInputTokens": self.cache_write_tokens,
            "webSearchRequests": 0,
            "costUSD": self.cost_usd,
            "contextWindow": self.context_window,
            "maxOutputTokens": self.max_output,
        }


@dataclass
class Turn:
    """What one turn's result reports."""

    started: float = field(default_factory=time.monotonic)
    tool_ms: float = 0.0
    usage: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # input, output, cache read, cache write
    model_calls: int = 0
    last_text: str = ""
    stop_reason: str | None = None  # the last model response's
    denials: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # call id → (name, input)
    errors: list[ev.Error] = field(default_factory=list)
    finished: ev.TurnFinished | None = None
    structured_output: Any = None
    interrupted: bool = False
    saw_prompt: bool = False
    begun: list[str] = field(default_factory=list)  # the model calls streamed (stream_event message ids)


class ClaudeStream:
    """One session's engine events → Claude Code's messages. Call `start_turn` before each turn's
    events, `feed` with each event, and `result` at its end."""

    def __init__(self, session_id: str, *, partial: bool = False, replay_user: bool = False) -> None:
        self.session_id = session_id
        self.partial = partial
        self.replay_user = replay_user
        self.models: dict[str, ModelTotals] = {}  # the session's usage per model, resumed usage included
        self.turn = Turn()
        # The model call being streamed, for stream_event lines: its message id and open block.
        self._message_id: str | None = None
        self._block: tuple[int, str] | None = None  # (index, "text" | "thinking" | "tool_use")
        self._last_usage: ev.Usage | None = None

    # --- framing ----------------------------------------------------------------------------

    def line(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, **fields, "session_id": self.session_id, "uuid": str(uuid.uuid4())}

    def system(self, subtype: str, **fields: Any) -> dict[str, Any]:
        return self.line("system", subtype=subtype, **fields)

    def start_turn(self) -> None:
        self.turn = Turn()
        self._message_id = None
        self._block = None

    def restore_usage(self, records: list[Any]) -> None:
        """A resumed session's stored usage, which Claude Code's modelUsage counts in."""
        for r in records:
            self._totals(r.model).add(r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens,
                                      r.cost_usd)

    def _totals(self, model: str) -> ModelTotals:
        name = protocol_model(model)
        if name not in self.models:
            from claw_tui.providers import catalog

            info = catalog.lookup(model)
            self.models[name] = ModelTotals(
                context_window=info.context_window if info else None, max_output=info.max_output if info else None
            )
        return self.models[name]

    # --- events -----------------------------------------------------------------------------

    def feed(self, event: Any) -> list[dict[str, Any]]:
        """The messages this event makes (often none)."""
        if event.agent_id is not None:
            return []  # a subagent's own events: its report reaches the stream as the Agent call's result
        turn = self.turn
        out: list[dict[str, Any]] = []
        if isinstance(event, ev.TextDelta | ev.ThinkingDelta | ev.ToolCallStarted | ev.ToolCallInputDelta):
            if self.partial:
                out += self._stream_event(event)
        elif isinstance(event, ev.Usage):
            self._last_usage = event
            turn.model_calls += 1
            for i, n in enumerate((event.input_tokens, event.output_tokens, event.cache_read_tokens,
                                   event.cache_write_tokens)):
                turn.usage[i] += n
            self._totals(event.model).add(event.input_tokens, event.output_tokens, event.cache_read_tokens,
                                          event.cache_write_tokens, event.cost_usd)
        elif isinstance(event, ev.MessageCompleted):
            out += self._message(event.message)
        elif isinstance(event, ev.ToolCallQueued):
            turn.inputs[event.call_id] = (event.name, event.input)
        elif isinstance(event, ev.PermissionDecided) and event.behavior == "deny":
            name, tool_input = turn.inputs.get(event.call_id, ("", {}))
            turn.denials.append({"tool_name": name, "tool_use_id": event.call_id, "tool_input": tool_input})
            out.append(self.system("permission_denied", tool_name=name, tool_use_id=event.call_id,
                                   message=f"Permission to use {name} was denied ({event.decided_by})."))
        elif isinstance(event, ev.ToolCallFinished):
            turn.tool_ms += event.duration_ms
            if "structured_output" in event.metadata and not event.is_error:
                turn.structured_output = event.metadata["structured_output"]
        elif isinstance(event, ev.Retrying):
            self._message_id = self._block = None  # the failed attempt's partial reply is dropped
            out.append(self.system("api_retry", attempt=event.attempt, max_retries=event.max_attempts,
                                   retry_delay_ms=round(event.delay_s * 1000), error_status=event.status,
                                   error=event.kind or "unknown"))
        elif isinstance(event, ev.Compacted):
            out.append(self.system("compact_boundary", compact_metadata={
                "trigger": event.trigger, "pre_tokens": event.tokens_before, "post_tokens": event.tokens_after}))
        elif isinstance(event, ev.Error) and event.fatal:
            # Claude Code writes a failed call as an assistant message of its own making.
            turn.errors.append(event)
            turn.model_calls += 1
            turn.stop_reason = "stop_sequence"
            body = {"id": str(uuid.uuid4()), "type": "message", "role": "assistant", "model": "<synthetic>",
                    "content": [{"type": "text", "text": event.message}], "stop_reason": "stop_sequence",
                    "stop_sequence": "", "usage": _usage_dict(0, 0, 0, 0)}
            out.append(self.line("assistant", message=body, parent_tool_use_id=None, timestamp=_timestamp(event.ts)))
        elif isinstance(event, ev.TurnFinished):
            turn.finished = event
        return out

    def _message(self, message: Message) -> list[dict[str, Any]]:
        turn = self.turn
        if message.role == "assistant":
            stop = "tool_use" if message.tool_uses else "end_turn"
            turn.stop_reason = stop
            if message.text:
                turn.last_text = message.text
            out = self._close_message(stop) if self.partial else []
            message_id = self._message_id or f"msg_{uuid.uuid4().hex[:24]}"
            self._message_id = None
            usage = self._last_usage
            usage_dict = _usage_dict(
                *(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
                if usage else (0, 0, 0, 0)
            )
            model = protocol_model(message.model or (usage.model if usage else ""))
            for block in message.content:  # Claude Code writes one line per content block
                body = {"id": message_id, "type": "message", "role": "assistant", "model": model,
                        "content": [content_block(block)], "stop_reason": None, "stop_sequence": None,
                        "usage": usage_dict}
                out.append(self.line("assistant", message=body, parent_tool_use_id=None,
                                     timestamp=_timestamp(message.created_at)))
            return out
        if not turn.saw_prompt and not message.tool_results:
            turn.saw_prompt = True  # the prompt itself: echoed only when asked to
            if not self.replay_user:
                return []
            return [self._user([content_block(b) for b in message.content], message, isReplay=True)]
        results = message.tool_results
        if results:
            return [self._user([content_block(r)], message, tool_use_result=_tool_use_result(r)) for r in results]
        return [self._user([content_block(b) for b in message.content], message)]

    def _user(self, content: list[dict[str, Any]], message: Message, **extra: Any) -> dict[str, Any]:
        return self.line("user", message={"role": "user", "content": content}, parent_tool_use_id=None,
                         timestamp=_timestamp(message.created_at), **extra)

    def interrupted(self, marker: str) -> list[dict[str, Any]]:
        """What Claude Code writes when a turn is interrupted: the marker the model will see."""
        self.turn.interrupted = True
        out = self._close_message(None) if self.partial and self._message_id else []
        self._message_id = None
        return [*out, self.line("user", message={"role": "user", "content": [{"type": "text", "text": marker}]},
                                parent_tool_use_id=None, timestamp=_timestamp(time.time()))]

    # --- stream_event lines -----------------------------------------------------------------

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        line = self.line("stream_event", event=event, parent_tool_use_id=None)
        line["api_message_id"] = self._message_id
        return line

    def _stream_event(self, event: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._message_id is None:
            self._message_id = f"msg_{uuid.uuid4().hex[:24]}"
            self.turn.begun.append(self._message_id)
            out.append(self._event({"type": "message_start", "message": {
                "id": self._message_id, "type": "message", "role": "assistant", "model": "", "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": _usage_dict(0, 0, 0, 0)}}))
        kind = "text" if isinstance(event, ev.TextDelta) else "thinking" if isinstance(event, ev.ThinkingDelta) else "tool_use"
        if isinstance(event, ev.ToolCallStarted) or self._block is None or self._block[1] != kind:
            out += self._close_block()
            index = 0 if self._block is None else self._block[0] + 1
            self._block = (index, kind)
            start: dict[str, Any] = {"type": "text", "text": ""}
            if isinstance(event, ev.ThinkingDelta):
                start = {"type": "thinking", "thinking": "", "signature": ""}
            elif isinstance(event, ev.ToolCallStarted):
                start = {"type": "tool_use", "id": event.call_id, "name": event.name, "input": {}}
            out.append(self._event({"type": "content_block_start", "index": index, "content_block": start}))
        index = self._block[0]
        if isinstance(event, ev.TextDelta):
            out.append(self._event({"type": "content_block_delta", "index": index,
                                    "delta": {"type": "text_delta", "text": event.text}}))
        elif isinstance(event, ev.ThinkingDelta):
            out.append(self._event({"type": "content_block_delta", "index": index,
                                    "delta": {"type": "thinking_delta", "thinking": event.text}}))
        elif isinstance(event, ev.ToolCallInputDelta):
            out.append(self._event({"type": "content_block_delta", "index": index,
                                    "delta": {"type": "input_json_delta", "partial_json": event.partial_json}}))
        return out

    def _close_block(self) -> list[dict[str, Any]]:
        if self._block is None or self._block[1] == "closed":
            return []
        index = self._block[0]
        self._block = (index, "closed")
        return [self._event({"type": "content_block_stop", "index": index})]

    def _close_message(self, stop_reason: str | None) -> list[dict[str, Any]]:
        if self._message_id is None:
            return []
        usage = self._last_usage
        out = self._close_block()
        out.append(self._event({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                "usage": _usage_dict(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens,
                                                     usage.cache_write_tokens) if usage else _usage_dict(0, 0, 0, 0)}))
        out.append(self._event({"type": "message_stop"}))
        self._block = None
        return out

    # --- the result ---------------------------------------------------------------------------

    def result(self, *, total_cost_usd: float, max_turns: int, budget_usd: float | None,
               structured: bool = False) -> dict[str, Any]:
        """The turn's `result` line: Claude Code's subtype, counts, costs and the answer."""
        turn = self.turn
        finished = turn.finished
        stop = finished.stop_reason if finished else "error"
        num_turns = turn.model_calls
        fields: dict[str, Any] = {}
        if turn.interrupted:
            subtype, terminal, is_error = "error_during_execution", "aborted_streaming", True
            fields["errors"] = ["The turn was interrupted."]
        elif turn.errors:
            # An API failure is a "success" carrying is_error, as in Claude Code.
            error = turn.errors[-1]
            terminal = "prompt_too_long" if _TOO_LONG.search(error.message) else "api_error"
            subtype, is_error = "success", True
            fields["result"] = error.message
            fields["api_error_status"] = error.status
        elif stop == "max_turns":
            subtype, terminal, is_error = "error_max_turns", "max_turns", True
            num_turns += 1  # Claude Code counts the call it did not make
            fields["errors"] = [f"Reached maximum number of turns ({max_turns})"]
        elif stop == "budget":
            subtype, terminal, is_error = "error_max_budget_usd", "budget_exhausted", True
            fields["errors"] = [f"Reached maximum budget (${budget_usd:g})"]
            turn.stop_reason = None  # claw stopped the turn, not the model
        elif structured and turn.structured_output is None:
            subtype, terminal, is_error = "error_max_structured_output_retries", "completed", True
            fields["errors"] = ["The model did not give an answer that follows the JSON schema."]
        elif stop in ("end_turn", "refusal"):
            subtype, terminal, is_error = "success", "completed", False
            fields["result"] = turn.last_text
            fields["api_error_status"] = None
        else:
            subtype, terminal, is_error = "error_during_execution", stop, True
            fields["errors"] = [f"The turn stopped early ({stop})."]
        if self.partial:
            fields["begun_message_ids"] = turn.begun
        if structured and turn.structured_output is not None:
            import json

            num_turns += 1  # as Claude Code counts the StructuredOutput round
            fields["result"] = json.dumps(turn.structured_output, separators=(",", ":"))
            fields["structured_output"] = turn.structured_output
        duration_ms = round((time.monotonic() - turn.started) * 1000)
        input_tokens, output_tokens, cache_read, cache_write = turn.usage
        return self.line(
            "result",
            subtype=subtype,
            is_error=is_error,
            duration_ms=duration_ms,
            duration_api_ms=max(0, round(duration_ms - turn.tool_ms)),
            num_turns=num_turns,
            stop_reason=turn.stop_reason,
            total_cost_usd=round(total_cost_usd, 6),
            usage={**_usage_dict(input_tokens, output_tokens, cache_read, cache_write),
                   "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
                   "service_tier": "standard"},
            modelUsage={name: totals.as_dict() for name, totals in self.models.items()},
            permission_denials=turn.denials,
            terminal_reason=terminal,
            **fields,
        )


def _tool_use_result(result: ToolResultBlock) -> str:
    """Claude Code's `tool_use_result`: the tool's output, an error prefixed as Claude Code does."""
    return f"Error: {result.text}" if result.is_error else result.text


def _timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
