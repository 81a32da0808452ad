"""`claw -p --attach`: one headless run through the warm engine, printed as a cold run prints it.

The client speaks ACP to the engine's socket: it sends the caller's environment, directory and
flags with `session/new` (under `_meta.claw.attach`), the prompt with `session/prompt`, and asks
for the engine's own events (`_claw/engine_event`), which go through the same printer as a cold
run's; so the output and the exit code are the same.

It speaks the protocol with a small JSON-RPC loop of its own rather than the ACP SDK: importing
the SDK's models takes longer than a whole attached run, and this client needs three requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claw_tui.acp.serve import socket_path

PROTOCOL_VERSION = 1
# The extension notification carrying each engine event, for a client that asks for them.
ENGINE_EVENT = "claw/engine_event"
_LINE_LIMIT = 50 * 1024 * 1024  # one message; a Read of a big file is large


class AttachError(Exception):
    """A one-line reason the run could not go through the engine."""


class AttachSetupError(AttachError):
    """The engine could not set the run up (bad flags, config, session); with the lines said before."""

    def __init__(self, message: str, warnings: list[str]) -> None:
        super().__init__(message)
        self.warnings = warnings


class _RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message", "error")))
        self.data = error.get("data") or {}


@dataclass
class RunInfo:
    """What the printer reads from the agent at the end of a run, as the engine reported it."""

    session_id: str | None = None
    model: str = ""
    total_cost_usd: float = 0.0


class _Connection:
    """JSON-RPC 2.0 over newline-delimited JSON: requests out, the engine's events in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._loop = asyncio.create_task(self._receive())

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        request_id = next(self._ids)
        answer = self._pending[request_id] = asyncio.get_running_loop().create_future()
        await self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return await answer

    async def _send(self, message: dict[str, Any]) -> None:
        self.writer.write(json.dumps(message).encode() + b"\n")
        await self.writer.drain()

    async def _receive(self) -> None:
        from claw_tui.core import events as ev

        try:
            while line := await self.reader.readline():
                message = json.loads(line)
                method = message.get("method")
                if method is None:
                    answer = self._pending.pop(message.get("id"), None)
                    if answer is not None and not answer.done():
                        if "error" in message:
                            answer.set_exception(_RpcError(message["error"]))
                        else:
                            answer.set_result(message.get("result"))
                elif method == f"_{ENGINE_EVENT}":
                    self.events.put_nowait(ev.event_adapter.validate_python(message["params"]["event"]))
                elif "id" in message:  # a request to the client: an attached run answers nothing
                    result = {"outcome": {"outcome": "cancelled"}} if method == "session/request_permission" else None
                    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
                    if result is None:
                        reply["error"] = {"code": -32601, "message": f"{method} is not offered by claw -p --attach"}
                    else:
                        reply["result"] = result
                    await self._send(reply)
        finally:
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(ConnectionError("the warm engine closed the connection"))
            self._pending.clear()

    async def close(self) -> None:
        self._loop.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._loop
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


class AttachedRun:
    """A connection to the engine with a session set up as `claw -p` would set it up."""

    def __init__(self, conn: _Connection, session_id: str, warnings: list[str]) -> None:
        self.conn = conn
        self.session_id = session_id
        self.warnings = warnings
        self.info = RunInfo()

    async def events(self, prompt: str) -> AsyncIterator[Any]:
        """The run's engine events, as the engine sends them, until the prompt's answer comes."""
        conn = self.conn
        params = {"sessionId": self.session_id, "prompt": [{"type": "text", "text": prompt}]}
        turn = asyncio.ensure_future(conn.request("session/prompt", params))
        try:
            while True:
                getter = asyncio.ensure_future(conn.events.get())
                await asyncio.wait({turn, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                break
            while not conn.events.empty():  # the answer comes after every event, on the same stream
                yield conn.events.get_nowait()
            response = turn.result() or {}
            meta = (response.get("_meta") or {}).get("claw") or {}
            self.info.session_id = meta.get("session_id")
            self.info.model = meta.get("model", "")
            self.info.total_cost_usd = float(meta.get("total_cost_usd", 0.0))
        finally:
            if not turn.done():
                turn.cancel()


@contextlib.asynccontextmanager
async def attach(options: Any, cwd: Path) -> AsyncIterator[AttachedRun]:
    """Connect to the warm engine and open a session for this caller (environment, directory, flags)."""
    path = socket_path()
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=_LINE_LIMIT)
    except OSError:
        raise AttachError(f"no warm engine at {path}: start one with `claw serve`") from None
    conn = _Connection(reader, writer)
    try:
        await conn.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "clientCapabilities": {}, "_meta": {"claw": {"engine_events": True}}},
        )
        attached = {"env": dict(os.environ), "options": options.to_json()}
        try:
            session = await conn.request(
                "session/new", {"cwd": str(cwd), "mcpServers": [], "_meta": {"claw": {"attach": attached}}}
            )
        except _RpcError as exc:
            raise AttachSetupError(str(exc), (exc.data.get("claw") or {}).get("warnings", [])) from None
        warnings = ((session.get("_meta") or {}).get("claw") or {}).get("warnings", [])
        yield AttachedRun(conn, session["sessionId"], warnings)
    except _RpcError as exc:
        raise AttachError(f"the warm engine answered: {exc}") from None
    except ConnectionError as exc:
        raise AttachError(str(exc)) from None
    finally:
        await conn.close()
