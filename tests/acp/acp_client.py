"""A client on the ACP Python SDK's client side, driving `claw acp` as an editor would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import acp
from acp import schema as s


class RecordingClient:
    """Keeps every update; answers permission requests with `choose`; may hold editor buffers."""

    def __init__(self, choose: Callable[[list[s.PermissionOption], Any], str | None] | None = None,
                 buffers: dict[str, str] | None = None) -> None:
        self.updates: list[Any] = []
        self.permission_requests: list[s.RequestPermissionRequest] = []
        self.choose = choose or (lambda options, call: options[0].option_id)
        self.buffers = buffers  # path → text: an editor's open buffers (None: no fs capability)
        self.written: dict[str, str] = {}
        self.extensions: list[tuple[str, dict[str, Any]]] = []
        self.permission_asked = asyncio.Event()
        self.terminals: dict[str, dict[str, Any]] = {}

    def on_connect(self, conn: Any) -> None:
        self.conn = conn

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append(update)

    async def request_permission(self, session_id: str, tool_call: Any, options: list[Any], **kwargs: Any) -> Any:
        self.permission_requests.append(s.RequestPermissionRequest(session_id=session_id, tool_call=tool_call, options=options))
        self.permission_asked.set()
        chosen = self.choose(options, tool_call)
        if chosen is None:
            return s.RequestPermissionResponse(outcome=s.DeniedOutcome(outcome="cancelled"))
        return s.RequestPermissionResponse(outcome=s.AllowedOutcome(outcome="selected", option_id=chosen))

    async def read_text_file(self, session_id: str, path: str, line: int | None = None, limit: int | None = None, **kw: Any) -> Any:
        assert self.buffers is not None
        text = self.buffers[path] if path in self.buffers else Path(path).read_text()
        return s.ReadTextFileResponse(content=text)

    async def write_text_file(self, session_id: str, path: str, content: str, **kw: Any) -> Any:
        assert self.buffers is not None
        self.buffers[path] = content
        self.written[path] = content
        return s.WriteTextFileResponse()

    # --- terminals: run as an editor would, in the client's process -----------------------

    async def create_terminal(self, session_id: str, command: str, args: list[str] | None = None, env: Any = None,
                              cwd: str | None = None, output_byte_limit: int | None = None, **kw: Any) -> Any:
        environment = {**os.environ, **{e.name: e.value for e in env or []}}
        proc = await asyncio.create_subprocess_exec(command, *(args or []), cwd=cwd, env=environment,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        terminal_id = f"term_{len(self.terminals) + 1}"
        self.terminals[terminal_id] = {"argv": [command, *(args or [])], "env": environment, "proc": proc,
                                       "output": asyncio.ensure_future(proc.stdout.read()), "released": False}
        return s.CreateTerminalResponse(terminal_id=terminal_id)

    async def wait_for_terminal_exit(self, session_id: str, terminal_id: str, **kw: Any) -> Any:
        code = await self.terminals[terminal_id]["proc"].wait()
        return s.WaitForTerminalExitResponse(exit_code=code if code >= 0 else None, signal=None if code >= 0 else "KILL")

    async def terminal_output(self, session_id: str, terminal_id: str, **kw: Any) -> Any:
        output = (await self.terminals[terminal_id]["output"]).decode()
        return s.TerminalOutputResponse(output=output, truncated=False)

    async def kill_terminal(self, session_id: str, terminal_id: str, **kw: Any) -> Any:
        with contextlib.suppress(ProcessLookupError):
            self.terminals[terminal_id]["proc"].kill()
        return s.KillTerminalResponse()

    async def release_terminal(self, session_id: str, terminal_id: str, **kw: Any) -> Any:
        self.terminals[terminal_id]["released"] = True
        return s.ReleaseTerminalResponse()

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        self.extensions.append((method, params))

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise acp.RequestError.method_not_found(method)

    # --- what tests look at ------------------------------------------------------------

    def of_kind(self, kind: str) -> list[Any]:
        return [u for u in self.updates if u.session_update == kind]

    def message_text(self) -> str:
        return "".join(u.content.text for u in self.of_kind("agent_message_chunk") if hasattr(u.content, "text"))

    def tool_updates(self, call_id: str) -> list[Any]:
        return [u for u in self.updates if getattr(u, "tool_call_id", None) == call_id]


def agent_env(home: Path, base_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
    env |= {"HOME": str(home), "CLAW_CONFIG_DIR": str(home / "config"), "CLAW_DATA_DIR": str(home / "data"),
            "CLAW_NO_LOCAL_DISCOVERY": "1", "CLAW_SANDBOX__ENABLED": "false"}
    if base_url:
        env |= {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": base_url}
    return env | extra


@contextlib.asynccontextmanager
async def claw_acp(client: RecordingClient, env: dict[str, str], cwd: Path,
                   fs: bool = False, terminal: bool = False) -> AsyncIterator[Any]:
    """`claw acp` as a subprocess, initialised; yields the SDK's connection to it."""
    async with acp.spawn_agent_process(client, sys.executable, "-m", "claw_tui", "acp", env=env, cwd=cwd,
                                       use_unstable_protocol=True) as (conn, _):
        caps = s.ClientCapabilities(fs=s.FileSystemCapabilities(read_text_file=fs, write_text_file=fs), terminal=terminal)
        conn.initialized = await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=caps)
        yield conn
