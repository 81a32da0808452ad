"""A rehearsal turn the warm engine runs once before it serves anyone.

A first turn in a fresh process does much lazy work besides its requests: the SDK's request and
stream code, pydantic validators and schemas, the tools' own imports. The engine does it once,
in a throw-away folder, against a canned model on loopback (read a file, search it, edit it,
answer; on the Anthropic wire and on OpenAI's Chat Completions and Responses wires), so every
worker it forks starts with that work done. Nothing of the
rehearsal is kept: no session is stored, its folder is removed, no thread outlives it.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from claw_tui.config import DEFAULT_MODEL

# One model per wire: Anthropic Messages (the default model), OpenAI Chat Completions (local servers too),
# OpenAI Responses.
REHEARSED_MODELS = (DEFAULT_MODEL, "openai/gpt-5", "openai/gpt-5-codex")
_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("Read", {"file_path": "notes.txt"}),
    ("Grep", {"pattern": "beta", "output_mode": "content"}),
    ("Edit", {"file_path": "notes.txt", "old_string": "beta", "new_string": "gamma"}),
]


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _http(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _responses_reply(turn: int) -> bytes:
    """The same canned turn on OpenAI's Responses wire."""
    usage = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens_details": {"reasoning_tokens": 0}}

    def response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": f"resp_{turn}", "object": "response", "created_at": 0, "model": "rehearsal", "status": status,
                "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                "incomplete_details": None, "error": None, "usage": usage if status == "completed" else None}

    at = {"item_id": f"item_{turn}", "output_index": 0}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": response("in_progress", [])}]
    if turn < len(_CALLS):
        name, tool_input = _CALLS[turn]
        arguments = json.dumps(tool_input)
        item = {"id": at["item_id"], "type": "function_call", "call_id": f"call_{turn}", "name": name,
                "arguments": arguments, "status": "completed"}
        events += [
            {"type": "response.output_item.added", "output_index": 0, "item": item | {"arguments": "", "status": "in_progress"}},
            {"type": "response.function_call_arguments.delta", **at, "delta": arguments},
            {"type": "response.function_call_arguments.done", **at, "arguments": arguments},
        ]
    else:
        part = {"type": "output_text", "text": "Done.", "annotations": []}
        item = {"id": at["item_id"], "type": "message", "role": "assistant", "status": "completed", "content": [part]}
        events += [
            {"type": "response.output_item.added", "output_index": 0, "item": item | {"status": "in_progress", "content": []}},
            {"type": "response.content_part.added", **at, "content_index": 0, "part": part | {"text": ""}},
            {"type": "response.output_text.delta", **at, "content_index": 0, "delta": "Done.", "logprobs": []},
            {"type": "response.output_text.done", **at, "content_index": 0, "text": "Done.", "logprobs": []},
            {"type": "response.content_part.done", **at, "content_index": 0, "part": part},
        ]
    events += [{"type": "response.output_item.done", "output_index": 0, "item": item},
               {"type": "response.completed", "response": response("completed", [item])}]
    return _http(_sse([{**e, "sequence_number": n} for n, e in enumerate(events)]))


def _chat_reply(turn: int) -> bytes:
    """The same canned turn on OpenAI's Chat Completions wire."""

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {"id": f"chat_{turn}", "object": "chat.completion.chunk", "created": 0, "model": "rehearsal",
                "choices": [choice]}

    if turn < len(_CALLS):
        name, tool_input = _CALLS[turn]
        call = {"index": 0, "id": f"call_{turn}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(tool_input)}}
        chunks = [chunk({"role": "assistant", "tool_calls": [call]}, None), chunk({}, "tool_calls")]
    else:
        chunks = [chunk({"role": "assistant", "content": "Done."}, None), chunk({}, "stop")]
    usage = {"id": f"chat_{turn}", "object": "chat.completion.chunk", "created": 0, "model": "rehearsal",
             "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    lines = [f"data: {json.dumps(c)}\n\n" for c in [*chunks, usage]] + ["data: [DONE]\n\n"]
    return _http("".join(lines).encode())


def _reply(turn: int) -> bytes:
    """The canned answer to the rehearsal's `turn`-th request: a tool call, then a closing text."""
    start = {"type": "message_start", "message": {
        "id": f"msg_{turn}", "type": "message", "role": "assistant", "model": "rehearsal", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}}
    if turn < len(_CALLS):
        name, tool_input = _CALLS[turn]
        block = {"type": "tool_use", "id": f"toolu_{turn}", "name": name, "input": {}}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(tool_input)}
        stop = "tool_use"
    else:
        block, delta, stop = {"type": "text", "text": ""}, {"type": "text_delta", "text": "Done."}, "end_turn"
    return _http(_sse([
        start,
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_delta", "index": 0, "delta": delta},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]))


async def _rehearse(scratch: Path | None = None) -> dict[str, list[str]]:
    """Each rehearsed model's turn, as the engine events' types; the file's text after each is checked."""
    from claw_tui.config import LoadedConfig, SandboxSettings, Settings
    from claw_tui.engine.agent import Agent

    seen: dict[str, list[str]] = {}
    turns = {"messages": 0, "completions": 0, "responses": 0}
    replies = {"messages": _reply, "completions": _chat_reply, "responses": _responses_reply}

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                wire = head.split(b" ", 2)[1].decode().rstrip("/").rpartition("/")[2]
                writer.write(replies[wire](turns[wire]))
                turns[wire] += 1
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()  # the client closed its connection, or the rehearsal is over

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {"ANTHROPIC_API_KEY": "rehearsal", "ANTHROPIC_BASE_URL": base,
           "OPENAI_API_KEY": "rehearsal", "OPENAI_BASE_URL": f"{base}/v1"}
    try:
        with tempfile.TemporaryDirectory(prefix="claw-rehearsal-", dir=scratch) as tmp, mock.patch.dict(os.environ, env):
            project = Path(tmp)
            for model in REHEARSED_MODELS:
                (project / "notes.txt").write_text("alpha\nbeta\n")
                settings = Settings(model=model, sandbox=SandboxSettings(enabled=False), lsp={})
                agent = Agent.create(project, config=LoadedConfig(settings, [], []), permission_mode="bypassPermissions")
                try:
                    seen[model] = [event.type async for event in agent.run_turn("rehearse")]
                finally:
                    await agent.aclose()
                if (project / "notes.txt").read_text() != "alpha\ngamma\n":
                    seen[model].append("not_edited")
    finally:
        server.close()
        await server.wait_closed()
    return seen


def rehearse() -> None:
    """Run the rehearsal; a failure only means the first real turn does that work itself."""
    try:
        asyncio.run(_rehearse())
    except Exception:  # noqa: BLE001, S110 - warming up is an optimisation, never a reason not to serve
        pass
