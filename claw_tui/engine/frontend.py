"""What a front end may use of an agent: the TUI, print mode and the ACP server all go through this.

`engine.agent.Agent` satisfies it, and so does the tests' recorded stand-in for the TUI. Anything
a front end needs that is not here is added here first, so the surface stays one list.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from claw_tui.config import LoadedConfig, Settings
    from claw_tui.core import events as ev
    from claw_tui.core.tasks import TaskGraph
    from claw_tui.core.transcript import Message
    from claw_tui.engine.agent_defs import AgentDef
    from claw_tui.engine.checkpoints import CheckpointStore
    from claw_tui.engine.file_mentions import Attached
    from claw_tui.engine.permissions import PermissionEngine
    from claw_tui.engine.scheduler import Scheduler
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.engine.subagents import SubagentManager
    from claw_tui.engine.user_commands import CommandPrompt
    from claw_tui.mcp import McpManager


class FrontendAgent(Protocol):
    # What the session is: its model, its stored id (None until the first message is stored),
    # the history the model sees, and what it has cost so far.
    model: str
    session_id: str | None
    new_session_id: str | None  # the id the next stored session takes, when a front end chose it
    transcript: list[Message]
    total_cost_usd: float
    cwd: Path
    config: LoadedConfig
    settings: Settings
    permissions: PermissionEngine  # its mode is what Shift+Tab cycles; its rules what /permissions shows
    store: SessionStore | None  # None when sessions are not saved
    checkpoints: CheckpointStore | None  # /undo and /rewind
    mcp: McpManager | None  # set once start_mcp ran
    startup_notes: list[str]  # what of the user's setup claw does not honour: shown once at start
    system_prompt: str | None  # replaces claw's instructions (print mode's --system-prompt)
    append_system_prompt: str  # print mode's --append-system-prompt
    session_agents: list[AgentDef]  # agent types for this session only (--agents, the Agent SDK)

    @property
    def task_graph(self) -> TaskGraph | None: ...

    @property
    def subagents(self) -> SubagentManager | None: ...

    @property
    def scheduler(self) -> Scheduler | None: ...  # scheduled prompts, when the front end fires them

    @property
    def sandbox_status(self) -> str: ...

    @property
    def sandbox_warning(self) -> str | None: ...  # commands run unsandboxed unasked-for: said once at start

    # --- turns ----------------------------------------------------------------------------
    def run_turn(self, prompt: str | Message | CommandPrompt) -> AsyncGenerator[ev.EngineEvent, None]: ...

    def compact(self, instructions: str = "") -> AsyncGenerator[ev.EngineEvent, None]: ...

    def take_cut_short_usage(self) -> ev.Usage | None: ...

    def tell_model(self, text: str) -> None: ...

    async def attach_files(self, prompt: str) -> Attached: ...

    # --- the session ----------------------------------------------------------------------
    def set_model(self, model: str) -> None: ...

    def use_local_server(self, base_url: str) -> None: ...

    def apply_config(self, config: LoadedConfig) -> None: ...

    def load_session(self, session_id: str) -> None: ...

    def new_conversation(self) -> None: ...

    def tool_summary(self, name: str, data: dict[str, Any]) -> str: ...

    def tool_names(self) -> list[str]: ...

    def agent_types(self) -> list[AgentDef]: ...

    def refresh_agent_types(self) -> None: ...

    # --- life cycle -----------------------------------------------------------------------
    async def prepare(self) -> None: ...

    async def start_mcp(
        self, mcp_config: Sequence[str] = (), *, strict: bool = False, wait: bool = True
    ) -> McpManager | None: ...  # None: no server is declared

    async def aclose(self) -> None: ...
