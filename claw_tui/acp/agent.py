"""claw as an ACP agent: the protocol's methods over claw's engine.

One `ClawAcpAgent` serves one client connection (an editor over stdio, or an ACP client of the
warm engine's socket). Each ACP session is one claw agent and one stored session: the ACP
session id is claw's own, so a session started in an editor shows in `claw sessions` and
resumes in the app, and `session/load` takes any stored session.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import acp
from acp import helpers
from acp import schema as s

from claw_tui import __version__
from claw_tui.acp import prompts
from claw_tui.acp.approval import AcpApprover, AcpAsker
from claw_tui.acp.client_side import ClientFiles, ClientTerminals
from claw_tui.acp.translate import TurnTranslator, plan_entries, replay
from claw_tui.core import events as ev

MODES = (
    ("default", "Ask", "Ask before edits and commands the rules do not allow"),
    ("acceptEdits", "Accept edits", "Edit files in the workspace without asking"),
    ("plan", "Plan", "Read and search only, until a plan is approved"),
    ("bypassPermissions", "Bypass permissions", "Run every tool without asking"),
)
_STOP_REASONS = {"end_turn": "end_turn", "max_turns": "max_turn_requests", "refusal": "refusal",
                 "cancelled": "cancelled", "budget": "end_turn"}  # fmt: skip


@dataclass
class AcpSession:
    id: str
    agent: Any  # Agent
    cwd: Path
    turn: asyncio.Task[Any] | None = None
    cancelled: bool = False
    plan_changed: bool = False
    mode: str = "default"
    unsubscribe: list[Any] = field(default_factory=list)
    terminal_calls: set[str] = field(default_factory=set)  # calls whose command ran in the client's terminal


class ClawAcpAgent:
    """The ACP agent side (the SDK's `acp.Agent` protocol)."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.client_capabilities = s.ClientCapabilities()
        self.sessions: dict[str, AcpSession] = {}
        self._store: Any = None
        self._background: set[asyncio.Task[Any]] = set()

    def on_connect(self, conn: Any) -> None:
        self.conn = conn

    # --- lifecycle -------------------------------------------------------------------------

    async def initialize(
        self, protocol_version: int, client_capabilities: Any = None, client_info: Any = None, **meta: Any
    ) -> s.InitializeResponse:
        self.client_capabilities = client_capabilities or s.ClientCapabilities()
        return s.InitializeResponse(
            protocol_version=min(protocol_version, acp.PROTOCOL_VERSION),
            agent_capabilities=s.AgentCapabilities(
                load_session=True,
                prompt_capabilities=s.PromptCapabilities(image=True, audio=False, embedded_context=True),
                mcp_capabilities=s.McpCapabilities(http=True, sse=True),
                session_capabilities=s.SessionCapabilities(
                    list=s.SessionListCapabilities(), fork=s.SessionForkCapabilities(),
                    resume=s.SessionResumeCapabilities(), close=s.SessionCloseCapabilities(),
                ),
            ),
            auth_methods=[
                s.AuthMethodAgent(
                    id="api-key",
                    name="API key",
                    description="claw uses ANTHROPIC_API_KEY or OPENAI_API_KEY from the environment, or the keys "
                    "in its config (providers.<name>.api_key); local models need none.",
                )
            ],
            agent_info=s.Implementation(name="claw", title="claw", version=__version__),
        )

    async def authenticate(self, method_id: str, **meta: Any) -> s.AuthenticateResponse:
        """claw has no login of its own: this says whether a key for the configured model is there."""
        from claw_tui.config import load_config
        from claw_tui.providers import registry
        from claw_tui.providers.base import ProviderError

        settings = load_config(Path.cwd()).settings
        try:
            await asyncio.to_thread(registry.make_provider, registry.parse_model_id(settings.model)[0], settings)
        except ProviderError as exc:
            raise acp.RequestError(-32000, exc.message) from None
        return s.AuthenticateResponse()

    async def close(self) -> None:
        """The client went away: stop every session's turn and processes; drop sessions never used."""
        for session in list(self.sessions.values()):
            await self._close_session(session)
        if self._store is not None:
            self._store.close()
            self._store = None

    async def _close_session(self, session: AcpSession) -> None:
        self.sessions.pop(session.id, None)
        if session.turn is not None and not session.turn.done():
            session.turn.cancel()
            await asyncio.gather(session.turn, return_exceptions=True)
        for unsubscribe in session.unsubscribe:
            unsubscribe()
        await session.agent.aclose()
        info = self._store.get(session.id) if self._store is not None else None
        if info is not None and info.message_count == 0:
            self._store.delete(session.id)  # opened in the editor and never used: leave nothing behind

    def store(self) -> Any:
        if self._store is None:
            from claw_tui.engine.sessions import SessionStore, StoreError

            try:
                self._store = SessionStore.open()
            except StoreError as exc:
                raise acp.RequestError(-32603, str(exc)) from None
        return self._store

    # --- sessions --------------------------------------------------------------------------

    async def new_session(
        self, cwd: str, additional_directories: list[str] | None = None, mcp_servers: list[Any] | None = None,
        **meta: Any,
    ) -> s.NewSessionResponse:
        folder = _folder(cwd)
        session = self._open(folder, additional_directories, None)
        await self._start(session, mcp_servers)
        return s.NewSessionResponse(session_id=session.id, modes=self._modes(session), config_options=self._options(session))

    async def load_session(
        self, cwd: str, session_id: str, mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None, **meta: Any,
    ) -> s.LoadSessionResponse:
        session = self._open(_folder(cwd), additional_directories, self._stored(session_id))
        await self._replay(session)
        await self._start(session, mcp_servers)
        return s.LoadSessionResponse(modes=self._modes(session), config_options=self._options(session))

    async def resume_session(
        self, session_id: str, cwd: str, additional_directories: list[str] | None = None,
        mcp_servers: list[Any] | None = None, **meta: Any,
    ) -> s.ResumeSessionResponse:
        """A stored session continued, without replaying its history (the client has it)."""
        session = self._open(_folder(cwd), additional_directories, self._stored(session_id))
        await self._start(session, mcp_servers)
        return s.ResumeSessionResponse(modes=self._modes(session), config_options=self._options(session))

    async def fork_session(
        self, session_id: str, cwd: str, additional_directories: list[str] | None = None,
        mcp_servers: list[Any] | None = None, **meta: Any,
    ) -> s.ForkSessionResponse:
        """A new stored session holding a copy of the conversation so far (claw's --fork-session)."""
        from claw_tui.engine.sessions import StoreError

        store, stored = self.store(), self._stored(session_id, open_here=False)
        info = store.get(stored)
        try:
            fork = store.fork(stored, info.message_count - 1) if info is not None and info.message_count else None
        except StoreError as exc:
            raise acp.RequestError(-32603, str(exc)) from None
        if fork is None:
            raise acp.RequestError(-32602, f"session {stored} has no messages to fork")
        session = self._open(_folder(cwd), additional_directories, fork)
        await self._start(session, mcp_servers)
        return s.ForkSessionResponse(session_id=session.id, modes=self._modes(session),
                                     config_options=self._options(session))

    async def close_session(self, session_id: str, **meta: Any) -> s.CloseSessionResponse:
        await self._close_session(self._session(session_id))
        return s.CloseSessionResponse()

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise acp.RequestError.method_not_found(f"_{method}")

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        """Extension notifications claw does not know are ignored, as the protocol asks."""

    def _stored(self, session_id: str, *, open_here: bool = True) -> str:
        """A stored session's full id; with `open_here`, refused when this connection has it open."""
        from claw_tui.engine.sessions import StoreError

        try:
            resolved = self.store().resolve_id(session_id)
        except StoreError as exc:
            raise acp.RequestError(-32002, str(exc), {"sessionId": session_id}) from None
        if open_here and resolved in self.sessions:
            raise acp.RequestError(-32602, f"session {resolved} is already open on this connection")
        return resolved

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None, **meta: Any) -> s.ListSessionsResponse:
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        page = 100
        infos = self.store().list(Path(cwd) if cwd else None, limit=page + 1, offset=offset)
        sessions = [
            s.SessionInfo(
                session_id=info.id,
                cwd=info.project,
                title=info.title or None,
                updated_at=datetime.fromtimestamp(info.updated, UTC).isoformat(),
            )
            for info in infos[:page]
        ]
        return s.ListSessionsResponse(sessions=sessions, next_cursor=str(offset + page) if len(infos) > page else None)

    async def set_session_mode(self, session_id: str, mode_id: str, **meta: Any) -> s.SetSessionModeResponse:
        session = self._session(session_id)
        self._set_mode(session, mode_id)
        return s.SetSessionModeResponse()

    async def set_config_option(
        self, config_id: str, session_id: str, value: str | bool, **meta: Any
    ) -> s.SetSessionConfigOptionResponse:
        session = self._session(session_id)
        if config_id == "mode":
            self._set_mode(session, str(value))
        elif config_id == "model":
            model = str(value).strip()
            if not model:
                raise acp.RequestError(-32602, "the model id is empty")
            session.agent.set_model(model)
        else:
            raise acp.RequestError(-32602, f"claw has no option {config_id!r} (it has: mode, model)")
        return s.SetSessionConfigOptionResponse(config_options=self._options(session))

    def _open(self, folder: Path, additional_directories: list[str] | None, stored: str | None) -> AcpSession:
        """An agent for `folder` whose approvals and questions go to the client: a new stored session,
        or the stored session `stored` continued."""
        from claw_tui.config import ConfigError, load_config
        from claw_tui.engine.agent import Agent

        try:
            config = load_config(folder)
        except ConfigError as exc:
            raise acp.RequestError(-32602, f"bad configuration: {exc}") from None
        if additional_directories:  # the client's extra roots join the configured ones
            extra = config.settings.permissions.additional_directories
            config.settings.permissions.additional_directories = [*extra, *additional_directories]
        store = self.store()
        # The ACP session id is claw's own, so the session is made now rather than on its first message.
        session_id = stored or store.create_session(folder, config.settings.model)
        agent = Agent.create(
            folder,
            approver=AcpApprover(self.conn, session_id, folder),
            asker=AcpAsker(self.conn, session_id),
            config=config,
            store=store,
            session_id=session_id,
        )
        if stored:
            from claw_tui.engine.sessions import StoreError

            try:
                agent.load_session(stored)
            except StoreError as exc:  # another claw is writing it (SessionBusy), or it cannot be read
                raise acp.RequestError(-32603, str(exc), {"sessionId": stored}) from None
        session = AcpSession(id=session_id, agent=agent, cwd=folder, mode=agent.permissions.mode)
        fs = self.client_capabilities.fs
        if fs is not None and fs.read_text_file and fs.write_text_file:
            agent.ctx.editor_files = ClientFiles(self.conn, session.id)
        if self.client_capabilities.terminal:
            agent.ctx.editor_terminals = ClientTerminals(self.conn, session.id, session.terminal_calls)
        self.sessions[session.id] = session
        self._watch_tasks(session)
        return session

    def _watch_tasks(self, session: AcpSession) -> None:
        graph = session.agent.task_graph
        if graph is not None:
            session.unsubscribe.append(graph.subscribe(lambda _task: setattr(session, "plan_changed", True)))

    async def _start(self, session: AcpSession, mcp_servers: list[Any] | None) -> None:
        """MCP servers (claw's own and the client's), the provider, and the commands the client may offer."""
        from claw_tui.mcp.config import McpConfigError

        agent = session.agent
        problem = await _key_problem(agent)
        if problem:
            await self._close_session(session)
            raise acp.RequestError(-32000, problem)
        try:
            await agent.start_mcp(_client_mcp_config(mcp_servers or []))
        except McpConfigError as exc:
            await self._close_session(session)
            raise acp.RequestError(-32602, str(exc)) from None
        except acp.RequestError:
            await self._close_session(session)
            raise
        self._later(self._send(session.id, prompts.available_commands_update(agent)))

    # --- prompts ---------------------------------------------------------------------------

    async def prompt(self, session_id: str, prompt: list[Any], **meta: Any) -> s.PromptResponse:
        session = self._session(session_id)
        if session.turn is not None and not session.turn.done():
            raise acp.RequestError(-32602, "a prompt is already running in this session")
        text = prompts.plain_text(prompt)
        session.cancelled = False
        if (instructions := prompts.compact_args(text)) is not None:
            session.turn = asyncio.create_task(self._pump(session, session.agent.compact(instructions)))
        else:
            message = await self._expanded(session, text) if _invocation(text) else prompts.to_message(prompt)
            session.turn = asyncio.create_task(self._pump(session, session.agent.run_turn(message)))
        try:
            stop_reason = await session.turn
        except asyncio.CancelledError:
            if not session.cancelled:
                raise
            stop_reason = "cancelled"
        return s.PromptResponse(stop_reason=stop_reason)

    async def _expanded(self, session: AcpSession, text: str) -> Any:
        """`/name args`: the user command, skill or MCP prompt it names, as print mode expands it."""
        from claw_tui.engine.prompt_input import PromptError, prepare_prompt

        try:
            prepared = await prepare_prompt(session.agent, text)
        except PromptError as exc:
            raise acp.RequestError(-32602, str(exc)) from None
        for notice in prepared.notices:
            await self._send(session.id, helpers.update_agent_message_text(f"{notice}\n\n"))
        return prepared.prompt

    async def _pump(self, session: AcpSession, events: Any) -> str:
        """Send a turn's events as updates; the ACP stop reason, or a RequestError for a fatal error."""
        translator = TurnTranslator(session.cwd, session.terminal_calls)
        error: ev.Error | None = None
        finished: ev.TurnFinished | None = None
        try:
            async for event in events:
                for update in translator.updates(event):
                    await self._send(session.id, update)
                if event.agent_id is None and isinstance(event, ev.Error) and event.fatal:
                    error = event
                elif event.agent_id is None and isinstance(event, ev.TurnFinished):
                    finished = event
                await self._follow_state(session)
        except asyncio.CancelledError:
            for update in translator.cancelled():
                await self._send(session.id, update)
            raise
        if error is not None:
            code = -32000 if error.kind == "auth" else -32603
            raise acp.RequestError(code, error.message, {"kind": error.kind})
        return _STOP_REASONS.get(finished.stop_reason if finished else "end_turn", "end_turn")

    async def _follow_state(self, session: AcpSession) -> None:
        """What changed besides the conversation: the task graph (as the plan) and the mode."""
        if session.plan_changed:
            session.plan_changed = False
            await self._send(session.id, helpers.update_plan(plan_entries(session.agent.task_graph)))
        mode = session.agent.permissions.mode
        if mode != session.mode:
            session.mode = mode
            await self._send(session.id, helpers.update_current_mode(mode))

    async def cancel(self, session_id: str, **meta: Any) -> None:
        session = self.sessions.get(session_id)
        if session is not None and session.turn is not None and not session.turn.done():
            session.cancelled = True
            session.turn.cancel()

    # --- helpers ---------------------------------------------------------------------------

    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise acp.RequestError(-32002, f"no open session {session_id}", {"sessionId": session_id})
        return session

    def _set_mode(self, session: AcpSession, mode_id: str) -> None:
        if mode_id not in {m[0] for m in MODES}:
            raise acp.RequestError(-32602, f"unknown mode {mode_id!r} (modes: {', '.join(m[0] for m in MODES)})")
        session.agent.permissions.mode = mode_id
        session.mode = mode_id

    def _modes(self, session: AcpSession) -> s.SessionModeState:
        return s.SessionModeState(
            current_mode_id=session.agent.permissions.mode,
            available_modes=[s.SessionMode(id=i, name=n, description=d) for i, n, d in MODES],
        )

    def _options(self, session: AcpSession) -> list[Any]:
        from claw_tui.providers import catalog

        model = session.agent.model
        models = [m.full_id for m in catalog.all_models()]
        if model not in models:
            models.insert(0, model)
        return [
            s.SessionConfigOptionSelect(
                id="mode", name="Mode", category="mode", type="select", current_value=session.agent.permissions.mode,
                options=[s.SessionConfigSelectOption(value=i, name=n, description=d) for i, n, d in MODES],
            ),
            s.SessionConfigOptionSelect(
                id="model", name="Model", category="model", type="select", current_value=model,
                options=[s.SessionConfigSelectOption(value=m, name=m) for m in models],
            ),
        ]

    async def _replay(self, session: AcpSession) -> None:
        from claw_tui.engine.toolset import DeclaredTool

        store, agent = self.store(), session.agent
        summaries: dict[str, str] = {}
        messages = store.messages(session.id)
        for message in messages:
            for call in message.tool_uses:
                tool = agent.tools.get(call.name)
                if isinstance(tool, DeclaredTool):  # a built-in offered from its declaration: its class has Input
                    tool = tool.loaded()
                try:
                    summaries[call.id] = tool.summary(tool.Input.model_validate(call.input)) if tool else call.name
                except Exception:  # noqa: BLE001 - an old call whose input no longer validates keeps its name
                    summaries[call.id] = call.name
        changes: dict[str, list[dict[str, Any]]] = {}
        for event in store.events(session.id, {"file_changed"}):
            changes.setdefault(event.get("call_id", ""), []).append(event)
        for update in replay(messages, session.cwd, summaries, changes):
            await self._send(session.id, update)
        if agent.task_graph is not None and agent.task_graph.list():
            await self._send(session.id, helpers.update_plan(plan_entries(agent.task_graph)))

    async def _send(self, session_id: str, update: Any) -> None:
        await self.conn.session_update(session_id=session_id, update=update)

    def _later(self, coro: Any) -> None:
        """Send after the current response (a client learns a session's id from it)."""

        async def run() -> None:
            await asyncio.sleep(0)
            await coro

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _invocation(text: str) -> bool:
    from claw_tui.engine.user_commands import parse_invocation

    return parse_invocation(text) is not None


def _folder(cwd: str) -> Path:
    folder = Path(cwd)
    if not folder.is_absolute() or not folder.is_dir():
        raise acp.RequestError(-32602, f"cwd must be an absolute path to a directory: {cwd}")
    return folder.resolve()


async def _key_problem(agent: Any) -> str | None:
    """Why the agent's model cannot be reached for want of a key, or None; building the provider warms it up."""
    from claw_tui.providers.base import ProviderError

    model = agent.model
    try:
        await agent.provider_for(model)
    except ProviderError as exc:
        return exc.message if exc.kind == "auth" else None
    return None


def _client_mcp_config(servers: list[Any]) -> list[str]:
    """The client's MCP servers as a `--mcp-config` value: user-given, so no trust question, as with the flag."""
    table: dict[str, Any] = {}
    for server in servers:
        data = server.model_dump(by_alias=True, exclude_none=True)
        entry: dict[str, Any]
        if data.get("type") == "acp":  # not advertised in initialize (mcpCapabilities.acp is false)
            raise acp.RequestError(-32602, f"MCP server {data.get('name')}: claw does not take MCP over ACP "
                                   "(type acp); it takes stdio, http and sse servers")
        if data.get("command"):
            entry = {"command": data["command"], "args": data.get("args", []),
                     "env": {e["name"]: e["value"] for e in data.get("env", [])}}
        else:
            entry = {"type": data.get("type", "http"), "url": data["url"],
                     "headers": {h["name"]: h["value"] for h in data.get("headers", [])}}
        table[data["name"]] = entry
    return [json.dumps({"mcpServers": table})] if table else []
