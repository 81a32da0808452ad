"""`claw -p --attach`: one headless run through the warm engine, printed as a cold run prints it.

The client speaks ACP to the engine's socket: it sends the caller's environment, directory and
flags with `session/new` (under `_meta.claw.attach`), the prompt with `session/prompt`, and asks
for the engine's own events (`_claw/engine_event`), which go through the same printer as a cold
run's; so the output and the exit code are the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import acp
from acp import schema as s

from claw_tui.acp.agent import ENGINE_EVENT
from claw_tui.acp.serve import socket_path
from claw_tui.core import events as ev


class AttachError(Exception):
    """A one-line reason the run could not go through the engine."""


@dataclass
class RunInfo:
    """What the printer reads from the agent at the end of a run, as the engine reported it."""

    session_id: str | None = None
    model: str = ""
    total_cost_usd: float = 0.0


class _EngineClient:
    """The client side: collects the engine's events; an attached run never asks the user anything."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Any] = asyncio.Queue()

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        return None  # the engine events carry everything the printer needs

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        if method.lstrip("_") == ENGINE_EVENT:
            self.events.put_nowait(ev.event_adapter.validate_python(params["event"]))

    async def request_permission(self, *args: Any, **kwargs: Any) -> Any:
        return s.RequestPermissionResponse(outcome=s.DeniedOutcome(outcome="cancelled"))

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise acp.RequestError.method_not_found(method)


class AttachedRun:
    """A connection to the engine with a session set up as `claw -p` would set it up."""

    def __init__(self, conn: Any, client: _EngineClient, session_id: str, warnings: list[str]) -> None:
        self.conn = conn
        self.client = client
        self.session_id = session_id
        self.warnings = warnings
        self.info = RunInfo()

    def events(self, prompt: str) -> Any:
        return _events(self.conn, self.client, self.session_id, prompt, self.info)


class AttachSetupError(AttachError):
    def __init__(self, message: str, warnings: list[str]) -> None:
        super().__init__(message)
        self.warnings = warnings


@contextlib.asynccontextmanager
async def attach(options: Any, cwd: Path) -> AsyncIterator[AttachedRun]:
    """Connect to the warm engine and open a session for this caller (environment, directory, flags)."""
    path = socket_path()
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=acp.core.DEFAULT_STDIO_BUFFER_LIMIT_BYTES)
    except OSError:
        raise AttachError(f"no warm engine at {path}: start one with `claw serve`") from None
    client = _EngineClient()
    conn = acp.connect_to_agent(client, writer, reader)
    try:
        await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, claw={"engine_events": True})
        try:
            session = await conn.new_session(
                cwd=str(cwd), mcp_servers=[], claw={"attach": {"env": dict(os.environ), "options": options.to_json()}}
            )
        except acp.RequestError as exc:
            raise AttachSetupError(str(exc), ((exc.data or {}).get("claw") or {}).get("warnings", [])) from None
        warnings = ((session.field_meta or {}).get("claw") or {}).get("warnings", [])
        yield AttachedRun(conn, client, session.session_id, warnings)
    except ConnectionError as exc:
        raise AttachError(f"the warm engine closed the connection ({exc})") from None
    finally:
        await conn.close()


async def _events(conn: Any, client: _EngineClient, session_id: str, prompt: str, info: RunInfo) -> Any:
    """The run's engine events, as the engine sends them, until the prompt's answer comes."""
    turn = asyncio.ensure_future(conn.prompt(session_id=session_id, prompt=[acp.text_block(prompt)]))
    try:
        while True:
            getter = asyncio.ensure_future(client.events.get())
            await asyncio.wait({turn, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
                continue
            getter.cancel()
            break
        await asyncio.sleep(0)  # notifications read before the answer are handled first
        while not client.events.empty():
            yield client.events.get_nowait()
        response = turn.result()
        meta = (response.field_meta or {}).get("claw") or {}
        info.session_id = meta.get("session_id")
        info.model = meta.get("model", "")
        info.total_cost_usd = float(meta.get("total_cost_usd", 0.0))
    finally:
        if not turn.done():
            turn.cancel()
