"""What the client offers the agent: its file system (unsaved buffers) and its terminals, as the
tools' EditorFiles and EditorTerminals."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import acp
from acp import helpers
from acp import schema as s

from claw_tui.tools.editor_terminals import TerminalRun

OUTPUT_BYTE_LIMIT = 256 * 1024  # the client keeps the end of a longer output


class ClientFiles:
    """`fs/read_text_file` and `fs/write_text_file`."""

    def __init__(self, conn: Any, session_id: str) -> None:
        self.conn = conn
        self.session_id = session_id

    async def read_text(self, path: Path) -> str:
        try:
            response = await self.conn.read_text_file(session_id=self.session_id, path=str(path))
        except acp.RequestError as exc:
            raise OSError(str(exc)) from None
        return response.content

    async def write_text(self, path: Path, text: str) -> None:
        try:
            await self.conn.write_text_file(session_id=self.session_id, path=str(path), content=text)
        except acp.RequestError as exc:
            raise OSError(str(exc)) from None


class ClientTerminals:
    """`terminal/create` and the rest: the command runs in the client, its terminal shown in the tool call."""

    def __init__(self, conn: Any, session_id: str, shown_in: set[str]) -> None:
        self.conn = conn
        self.session_id = session_id
        self.shown_in = shown_in  # the calls whose content is a terminal (the translator leaves it there)

    async def run(
        self, call_id: str | None, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float
    ) -> TerminalRun:
        sid = self.session_id
        created = await self.conn.create_terminal(
            session_id=sid, command=argv[0], args=argv[1:], cwd=str(cwd),
            env=[s.EnvVariable(name=k, value=v) for k, v in env.items()], output_byte_limit=OUTPUT_BYTE_LIMIT,
        )
        terminal = created.terminal_id
        try:
            if call_id is not None:
                self.shown_in.add(call_id)
                update = helpers.update_tool_call(call_id, content=[helpers.tool_terminal_ref(terminal)])
                await self.conn.session_update(session_id=sid, update=update)
            timed_out = False
            try:
                async with asyncio.timeout(timeout):
                    exited = await self.conn.wait_for_terminal_exit(session_id=sid, terminal_id=terminal)
            except TimeoutError:
                timed_out = True
                await self.conn.kill_terminal(session_id=sid, terminal_id=terminal)
                exited = None
            output = await self.conn.terminal_output(session_id=sid, terminal_id=terminal)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.conn.kill_terminal(session_id=sid, terminal_id=terminal)
            raise
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.conn.release_terminal(session_id=sid, terminal_id=terminal))
        code = exited.exit_code if exited is not None and exited.exit_code is not None else -1
        return TerminalRun(output.output, code, timed_out)
