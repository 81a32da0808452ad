"""A rehearsal turn the warm engine runs once before it serves anyone.

A first turn in a fresh process does much lazy work besides its requests: the SDK's request and
stream code, pydantic validators and schemas, the tools' own imports. The engine does it once,
in a throw-away folder, against a canned model on loopback (the Anthropic wire: read a file,
search it, edit it, answer), so every worker it forks starts with that work done. Nothing of the
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

_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("Read", {"file_path": "notes.txt"}),
    ("Grep", {"pattern": "beta", "output_mode": "content"}),
    ("Edit", {"file_path": "notes.txt", "old_string": "beta", "new_string": "gamma"}),
]


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


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
    body = _sse([
        start,
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_delta", "index": 0, "delta": delta},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ])
    head = f"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _rehearse() -> None:
    from claw_tui.config import LoadedConfig, Settings
    from claw_tui.engine.agent import Agent

    turns = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal turns
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(_reply(turns))
                turns += 1
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()  # the client closed its connection, or the rehearsal is over

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = {"ANTHROPIC_API_KEY": "rehearsal", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}"}
    try:
        with tempfile.TemporaryDirectory(prefix="claw-rehearsal-") as tmp, mock.patch.dict(os.environ, env):
            project = Path(tmp)
            (project / "notes.txt").write_text("alpha\nbeta\n")
            settings = Settings(model="anthropic/claude-sonnet-4-6", sandbox={"enabled": False}, lsp={})
            agent = Agent.create(
                project, config=LoadedConfig(settings, [], []), permission_mode="bypassPermissions"
            )
            try:
                async for _event in agent.run_turn("rehearse"):
                    pass
            finally:
                await agent.aclose()
    finally:
        server.close()
        await server.wait_closed()


def rehearse() -> None:
    """Run the rehearsal; a failure only means the first real turn does that work itself."""
    try:
        asyncio.run(_rehearse())
    except Exception:  # noqa: BLE001, S110 - warming up is an optimisation, never a reason not to serve
        pass
