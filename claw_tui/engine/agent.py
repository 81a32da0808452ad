"""The agent loop: one turn = model call ⇄ tool calls until the model ends its turn.

`Agent.run_turn()` is an async generator of engine events. The transcript is kept
consistent at every moment: a cancel (the consumer cancels the task iterating the turn)
keeps the partial text, answers unanswered tool calls as cancelled and marks the stop with
Claude Code's `[Request interrupted by user]`, so the next request is accepted by any provider
and tells the model what happened, whichever front end cancelled. Tools run only after the model's message is complete, and the
turn-level retry never re-runs a tool.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from claw_tui.config import LoadedConfig, Settings, load_config
from claw_tui.core import background_imports
from claw_tui.core import events as ev
from claw_tui.core.approval import Approver, DenyingApprover
from claw_tui.core.transcript import (
    Message,
    TextBlock,
    ToolResultBlock,
    interruption,
    new_id,
    repair,
    tool_result,
    user_text,
)
from claw_tui.engine import compaction, session_hooks, web_search
from claw_tui.engine.model_call import ModelCall
from claw_tui.engine.services import SessionServices
from claw_tui.engine.sessions import StoreError
from claw_tui.engine.tool_calls import run_tool_calls
from claw_tui.engine.user_commands import CommandPrompt
from claw_tui.providers.base import ModelResponse, Provider, ProviderError, TokenUsage
from claw_tui.tools.base import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from claw_tui.core.redaction import Redactor
    from claw_tui.core.tasks import TaskGraph
    from claw_tui.engine.agent_defs import AgentDef
    from claw_tui.engine.checkpoints import CheckpointStore
    from claw_tui.engine.file_mentions import Attached
    from claw_tui.engine.hooks import HookRunner
    from claw_tui.engine.memory import NestedMemory
    from claw_tui.engine.permissions import PermissionEngine
    from claw_tui.engine.scheduler import Scheduler
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.engine.subagents import SubagentManager
    from claw_tui.engine.transcript_file import TranscriptFile
    from claw_tui.mcp import McpManager
    from claw_tui.providers.remote import ProviderHost
    from claw_tui.tools.ask import Asker
    from claw_tui.tools.lsp import LspManager

REGISTRY = "claw_tui.providers.registry"  # imported in a thread: it brings the HTTP stack


def language_servers(cwd: Path, settings: Settings) -> LspManager | None:
    """The session's language servers: None, and nothing of claw's LSP support loaded, when no
    configured server is installed (pylsp for Python is, with `[dev]`)."""
    from claw_tui.tools.lsp_config import parse_config

    installed = {language: c for language, c in parse_config(settings.lsp).items() if c.installed()}
    if not installed:
        return None
    from claw_tui.tools.lsp import LspManager

    return LspManager(cwd, installed)


class Agent:
    def __init__(
        self,
        *,
        cwd: Path,
        config: LoadedConfig,
        tools: list[Tool[Any]],
        permissions: PermissionEngine,
        approver: Approver,
        hooks: HookRunner | None = None,
        memory_prompt: str = "",
        model: str | None = None,
        store: SessionStore | None = None,
        session_id: str | None = None,
        provider_factory: Callable[[str], Provider] | None = None,
        ctx: ToolContext | None = None,
        agent_id: str | None = None,
    ) -> None:
        self.cwd = cwd
        self.config = config
        self.settings: Settings = config.settings
        self.tools = {t.name: t for t in tools}
        self.permissions = permissions
        self.approver = approver
        self.hooks = hooks
        self.memory_prompt = memory_prompt
        # Claude Code's --system-prompt (replaces claw's instructions) and --append-system-prompt.
        self.system_prompt: str | None = None
        self.append_system_prompt = ""
        # Agent types given for this session only (--agents, the Agent SDK's initialize).
        self.session_agents: list[AgentDef] = []
        self.model = model or self.settings.model
        self.store = store
        self.session_id = session_id
        # The id the next stored session takes (print mode's --session-id); None: a new one.
        self.new_session_id: str | None = None
        self.agent_id = agent_id
        self.transcript: list[Message] = []
        self.total_cost_usd = 0.0
        self.ctx = ctx or ToolContext(cwd=cwd, roots=[cwd], services=SessionServices())
        self.mcp: McpManager | None = None  # set by start_mcp
        self._providers: dict[str, Provider] = {}
        self._building: dict[str, asyncio.Future[Provider]] = {}  # providers whose client is being built
        # The process that makes this agent's model calls (providers/remote.py); None: this one.
        self.provider_host: ProviderHost | None = None
        self.local_base_url: str | None = None  # the local server picked or found, before any configured
        self._cut_short_usage: ev.Usage | None = None
        # What a cancel must keep: the reply streamed so far (the model call's), and results of calls that ran.
        self._model_call: ModelCall | None = None
        self._done_results: list[ToolResultBlock] = []
        # The context size the provider last reported, and how much transcript it covered.
        self._measured_tokens = 0
        self._measured_len = 0
        self._provider_factory = provider_factory
        services = self.ctx.services
        services.permissions = services.permissions or permissions
        services.approver = services.approver or approver
        services.web_search = services.web_search or partial(web_search.search, self)
        from claw_tui.core.redaction import Redactor, secret_values
        from claw_tui.tools.shell import ShellManager

        # Key values no tool result may carry to the model, the transcript or the front end.
        keys = self.settings.providers
        configured = {"ANTHROPIC_API_KEY": keys.anthropic.api_key or "", "OPENAI_API_KEY": keys.openai.api_key or "",
                      "CLAW_LOCAL_API_KEY": keys.local.api_key or ""}
        self._secrets = secret_values(os.environ, self.ctx.env, configured)
        # …nor any other secret a tool comes across (other keys and tokens, .env values, private keys).
        self._redact = Redactor(self._secrets)
        if services.shell is None:
            # Made here rather than on the first Bash call, so it carries the agent's key set to scrub.
            services.shell = ShellManager(cwd, self.ctx.env, self._secrets)
        # Messages of this session in the store (more than the transcript after a compaction).
        self._stored_count = 0
        # Finished messages a failed write (a full disk) kept from the store; the next commit retries them.
        self._unsaved: list[Message] = []
        self._session_lock: Any = None  # SessionLock: this process is the session's one writer
        self._turn_id = ""
        # SessionStart hooks run before the next turn with this source; None once they ran.
        self.session_start: str | None = "startup" if agent_id is None else None
        self._background: set[asyncio.Task[Any]] = set()  # work not waited for (in_background)
        self._notes_for_model: list[str] = []  # what the user did between turns, told with the next prompt
        # What of the user's setup (Claude Code's included) claw does not honour: front ends name it once at start.
        self.startup_notes: list[str] = []
        self.nested_memory: NestedMemory | None = None  # CLAUDE.md of subdirectories, path-scoped rules
        # For hooks: the session as a Claude Code transcript, and an id when sessions are not stored.
        self.transcript_file: TranscriptFile | None = None
        self._unstored_session_id = ""
        self._stop_requested: str | None = None  # a hook's "continue": false, for the running turn
        self.checkpoints: CheckpointStore | None = None
        if store is not None:
            from claw_tui.engine.checkpoints import CheckpointStore

            self.checkpoints = CheckpointStore(store)
            self.ctx.before_write = self._before_write
            self._watch_tasks()

    # --- construction -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        cwd: Path,
        *,
        approver: Approver | None = None,
        asker: Asker | None = None,
        model: str | None = None,
        permission_mode: str | None = None,
        config: LoadedConfig | None = None,
        extra_rules: list[tuple[str, str]] | None = None,
        store: SessionStore | None = None,
        session_id: str | None = None,
        bare: bool = False,
        extra_tools: Sequence[Tool[Any]] = (),
        scheduler: Scheduler | None = None,
    ) -> Agent:
        """Build an agent with the built-in tools, the user's rules, hooks and memory files.

        `bare` (Claude Code's --bare) leaves out hooks, memory files and language servers;
        `extra_tools` are offered besides the built-ins (print mode's StructuredOutput);
        `scheduler` is for a front end that fires scheduled prompts (the app); without one the Cron tools refuse.
        """
        from claw_tui.config import RuleSource, user_config_dir
        from claw_tui.core.tasks import TaskGraph
        from claw_tui.engine.compat import startup_notes
        from claw_tui.engine.hooks import HookRunner
        from claw_tui.engine.memory import NestedMemory, memory_prompt, scan_memory
        from claw_tui.engine.permissions import Guard, PermissionEngine
        from claw_tui.engine.skills import list_skills, skills_prompt
        from claw_tui.engine.subagents import SubagentManager
        from claw_tui.engine.toolset import builtin_tools
        from claw_tui.tools.sandbox import SandboxGuard

        cwd = cwd.resolve()
        config = config or load_config(cwd)
        settings = config.settings
        roots = [cwd] + [
            (cwd / Path(d).expanduser()).resolve() for d in settings.permissions.additional_directories
        ]
        rules = list(config.rules) + [RuleSource(b, r, "flags") for b, r in (extra_rules or [])]  # type: ignore[arg-type]
        mode = permission_mode or settings.permissions.mode
        # The guard (issue 11): protected paths, and commands that ask when the sandbox is missing unasked-for.
        guard = Guard(protect_paths=settings.sandbox.protected_paths,
                      unsandboxed_commands_ask=not config.sandbox_off_by_user)
        permissions = PermissionEngine(mode, rules, roots, guard=guard)  # type: ignore[arg-type]
        approver = approver or DenyingApprover()
        services = SessionServices(
            sandbox=settings.sandbox, task_graph=TaskGraph(), lsp=None if bare else language_servers(cwd, settings),
            asker=asker, sandbox_guard=SandboxGuard(config.sandbox_off_by_user, permissions.read_denied_paths),
            local_network_ok=permissions.allows_local_network, scheduler=scheduler,
        )
        ctx = ToolContext(cwd=cwd, roots=roots, services=services, env={**os.environ, **settings.env})
        # --bare: no hooks, no memory files, no language servers (print mode's minimal start).
        with_hooks = settings.hooks and not settings.disable_all_hooks and not bare
        hooks = HookRunner(settings.hooks, cwd, env=settings.env) if with_hooks else None
        memory_files, path_rules, memory_problems = (
            ([], [], []) if bare else scan_memory(cwd, user_config_dir=user_config_dir())
        )
        memory = memory_prompt(memory_files)
        # Skills: only names and descriptions up front; the Skill tool loads a body on demand.
        memory = "\n\n".join(p for p in (memory, skills_prompt(list_skills(cwd))) if p)
        denied_tools = {r.rule for r in rules if r.behavior == "deny" and "(" not in r.rule}
        tools = [t for t in [*builtin_tools(), *extra_tools] if t.name not in denied_tools]
        agent = cls(
            cwd=cwd,
            config=config,
            tools=tools,
            permissions=permissions,
            approver=approver,
            hooks=hooks,
            memory_prompt=memory,
            model=model,
            store=store,
            session_id=session_id,
            ctx=ctx,
        )
        services.subagents = SubagentManager(agent, max_concurrent=settings.agents.max_concurrent)
        agent.refresh_agent_types()
        if hooks is not None:
            hooks.base = agent.hook_fields
        agent.nested_memory = NestedMemory.from_files(cwd, memory_files, path_rules)
        # A rule that does not parse is ignored: said at start (a deny rule the user meant must not vanish unseen).
        agent.startup_notes = [*agent.permissions.problems, *startup_notes(cwd, config, memory_problems)]
        return agent

    async def start_mcp(
        self, mcp_config: Sequence[str] = (), *, strict: bool = False, wait: bool = True, **kwargs: Any
    ) -> McpManager | None:
        """Start the configured MCP servers; their tools join the model's as they connect. None,
        with none of the MCP client loaded, when no server is declared anywhere.

        Raises McpConfigError (naming the file) on a configuration that cannot be read.
        """
        from claw_tui.config import FolderTrust, project_server_allowed
        from claw_tui.mcp.config import load_servers

        servers = load_servers(self.cwd, tuple(mcp_config), strict=strict)
        if not servers:
            return None
        if "project_policy" not in kwargs:  # `claw trust`, enableAllProjectMcpServers & co
            trusted = self.config.trusted if self.config.trusted is not None else FolderTrust().is_trusted(self.cwd)
            kwargs["project_policy"] = lambda name: project_server_allowed(name, self.settings, trusted)
        # The MCP SDK brings the HTTP stack an SDK import on the import thread may be loading too.
        module = await background_imports.imported("claw_tui.mcp.manager")
        manager = module.McpManager.for_servers(servers, self.cwd, **kwargs)
        self.mcp = manager
        manager.on_tools_changed(self._refresh_mcp_tools)
        await manager.start()
        if wait:
            self.prepare_meanwhile()
            await manager.wait_settled()
        self._refresh_mcp_tools()
        return manager

    def _refresh_mcp_tools(self) -> None:
        manager = self.mcp
        if manager is None:
            return
        denied = {r.rule for r in self.permissions.rules_for_display() if r.behavior == "deny" and "(" not in r.rule}
        from claw_tui.mcp.resource_tools import RESOURCE_TOOLS, resource_tools

        for name in [n for n in self.tools if n.startswith("mcp__") or n in RESOURCE_TOOLS]:
            del self.tools[name]
        for tool in [*manager.tools(), *resource_tools(manager)]:
            if tool.name not in denied:
                self.tools[tool.name] = tool

    async def aclose(self) -> None:
        """Stop what the session started: subagents, worktrees, shells, background commands, language servers."""
        if self._background:  # notification hooks still running finish first (they have their own timeouts)
            await asyncio.wait(self._background, timeout=10)
        if self.hooks is not None and self.agent_id is None:
            try:
                if self.session_start is None:
                    await self.hooks.session_end("exit")
                await self.hooks.drain()  # "async" hooks still running finish (they have their own timeouts)
            except Exception:  # noqa: BLE001, S110 - a failing hook must not keep the session's processes alive
                pass
        services, subagents = self.ctx.services, self.subagents
        for close in (
            subagents.close if subagents else None,
            self.mcp.stop if self.mcp else None,
            services.shell.close if services.shell else None,
            services.lsp.close if services.lsp else None,
        ):
            if close is not None:
                try:
                    await close()
                except Exception:  # noqa: BLE001, S110 - closing is best effort; one failure must not keep the others alive
                    pass
        self.release_session()

    @property
    def task_graph(self) -> TaskGraph | None:
        return self.ctx.services.task_graph

    @property
    def subagents(self) -> SubagentManager | None:
        services = self.ctx.services
        return services.subagents if isinstance(services, SessionServices) else None

    @property
    def scheduler(self) -> Scheduler | None:
        services = self.ctx.services
        return services.scheduler if isinstance(services, SessionServices) else None

    def tool_summary(self, name: str, data: dict[str, Any]) -> str:
        """A call's one line for the tool log; the bare name for a tool not (or no longer) offered."""
        offered = self.tools.get(name)
        if offered is None:  # an MCP server's tool that is not connected (yet)
            return name
        tool = offered.loaded()
        try:
            return tool.summary(tool.Input.model_validate(data))
        except ValueError:  # an input the tool refused: live, the call kept its bare name too
            return name

    def tool_names(self) -> list[str]:
        """The tools the model is offered now, MCP servers' included."""
        return list(self.tools)

    def agent_types(self) -> list[AgentDef]:
        """The agent types on disk now, then this session's own (which win by name)."""
        from claw_tui.engine.agent_defs import list_agents

        found = {a.name: a for a in [*list_agents(self.cwd), *self.session_agents]}
        return list(found.values())

    def refresh_agent_types(self) -> None:
        """Offer the agent types on disk now (made or edited on /agents) from the next request on."""
        from claw_tui.engine.agent_defs import describe_types

        tool = self.tools.get("Agent")
        if tool is not None:  # this instance's description: the tool's own, plus the types, as Claude Code has it
            tool.description = describe_types(type(tool).description, self.agent_types())  # type: ignore[misc]

    def new_conversation(self) -> None:
        """Start over: the next message begins a new stored session; the current one stays stored."""
        if self.hooks is not None and self.session_start is None:  # /clear ends one session and starts another
            self.in_background(self.hooks.session_end("clear", base=self.hook_fields()))
            self.session_start = "clear"
        self._unstored_session_id = ""
        self.transcript.clear()
        self.reset_context_measure()
        self.session_id = None
        self.release_session()  # another claw may go on with the old one
        self.total_cost_usd = 0.0

    @property
    def sandbox_status(self) -> str:
        """The sandbox as the status bar shows it: on, disabled (by the user), or off: why (unavailable,
        or turned off by a repository)."""
        from claw_tui.tools.sandbox import detect

        if not self.settings.sandbox.enabled:
            return "disabled" if self.config.sandbox_off_by_user else "off: turned off by the repository's settings"
        status = detect()
        return "on" if status.available else f"off: {status.reason}"

    def apply_config(self, config: LoadedConfig) -> None:
        """Settings read again (a folder just trusted): its hooks, rules, extra roots, sandbox and provider
        addresses apply from the next call on; the permission mode and the model stay as the user set them."""
        from claw_tui.engine.hooks import HookRunner

        self.config, self.settings = config, config.settings
        cwd = self.cwd
        roots = [cwd] + [(cwd / Path(d).expanduser()).resolve() for d in self.settings.permissions.additional_directories]
        self.permissions.replace_rules(config.rules, roots)
        self.ctx.roots[:] = roots
        self.ctx.services.sandbox = self.settings.sandbox
        self.hooks = HookRunner(self.settings.hooks, cwd, self.session_id or "") if self.settings.hooks else None
        self._providers.clear()  # a base URL may have changed

    @property
    def sandbox_warning(self) -> str | None:
        """Said once at start when commands will run unsandboxed although the user did not ask for it."""
        from claw_tui.tools.sandbox import startup_warning

        return startup_warning(self.settings.sandbox, self.config.sandbox_off_by_user)

    def set_model(self, model: str) -> None:
        """Switch models from the next request on; the history is kept as it is. A stored session
        remembers the switch, so a resume takes the model even if no turn ran on it."""
        self.model = model
        if self.store is not None and self.session_id is not None:
            with suppress(StoreError):
                self.store.append_event(self.session_id, "model_switched", {"model": model})

    async def provider_for(self, model: str) -> tuple[Provider, str]:
        registry = await background_imports.imported(REGISTRY)
        name, native = registry.parse_model_id(model)
        if name == "local" and not (self.local_base_url or registry.configured_local_url(self.settings)):
            # No address set: the server on the usual ports that serves this model (Ollama, vLLM…).
            self.local_base_url = await registry.find_local_server(native)
        if name not in self._providers:
            # Importing an SDK and building its client takes up to a second or more: in the provider host,
            # else on the import thread, so a front end sharing this event loop keeps painting meanwhile;
            # and once: a second caller (the first prompt, while `prepare` builds it) waits for the same build.
            build = self._building.get(name)
            if build is None:
                build = self._building[name] = asyncio.ensure_future(self._make_provider(registry, name, native))
            try:
                provider = await asyncio.shield(build)
            finally:
                if self._building.get(name) is build and build.done():
                    del self._building[name]  # a failed build is tried again by the next caller
            self._providers.setdefault(name, provider)
        return self._providers[name], native

    async def _make_provider(self, registry: Any, name: str, model: str) -> Provider:
        if self.provider_host is not None and self._provider_factory is None:
            spec = registry.provider_spec(name, self.settings, self.ctx.env, local_base_url=self.local_base_url)
            try:
                return await self.provider_host.provider(spec, model)
            except ProviderError:
                if self.provider_host.answered:
                    raise
                # A host that cannot even start (no Python to run it, say): the providers run here instead.
                self.provider_host = None
        local_url = self.local_base_url
        factory = self._provider_factory or (
            lambda name: registry.make_provider(name, self.settings, self.ctx.env, local_base_url=local_url)
        )

        def make() -> Provider:
            return registry.ready(factory(name), name, model)

        return await background_imports.settled(background_imports.run(make))

    def use_local_server(self, base_url: str) -> None:
        """Send local/… models to this server from the next request on (one chosen in the model picker)."""
        if base_url != self.local_base_url:
            self.local_base_url = base_url
            self._providers.pop("local", None)

    def share_providers(self, parent: Agent) -> None:
        """A subagent uses its parent's SDK clients: one per provider for the whole session."""
        self._providers = parent._providers
        self._building = parent._building
        self._provider_factory = parent._provider_factory
        self.provider_host = parent.provider_host
        self.local_base_url = parent.local_base_url

    async def prepare(self) -> None:
        """Get the current model's provider ready before the first prompt (a front end calls this
        once it is on screen); a problem such as a missing key is reported by the first turn."""
        # The SDK first: its import is the longest work on the import thread and the first prompt waits for it.
        try:
            await self.provider_for(self.model)
        except Exception:  # noqa: BLE001, S110 - the turn that needs the provider says what is wrong
            pass
        await asyncio.to_thread(self._redact.load)

    def prepare_meanwhile(self) -> None:
        """Get the provider ready while the caller waits on something else (MCP servers connecting,
        hooks running): importing its SDK overlaps with a wait, never with Python work, which the
        GIL runs one thread at a time."""
        self.in_background(self.prepare())

    # --- the turn -----------------------------------------------------------------------

    def event(self, cls: type[ev.Event], **fields: Any) -> Any:
        return cls(agent_id=self.agent_id, **fields)

    def commit(self, message: Message) -> ev.MessageCompleted:
        """Append a finished message to the transcript and the store, before anything else.

        A write the disk refuses raises StoreError (the turn stops); the message stays in the
        transcript and is stored, in order, by the next commit once the disk takes it.
        """
        mirror = self._transcript_mirror()  # before the append: a new file starts with the history so far
        self.transcript.append(message)
        if mirror is not None:
            mirror.append(message)
        if stored := self._ensure_session():
            store, session_id = stored
            self._unsaved.append(message)
            while self._unsaved:
                store.append_message(session_id, self._unsaved[0])
                self._unsaved.pop(0)
                self._stored_count += 1
        return self.event(ev.MessageCompleted, message=message)

    # --- what hooks see of the session ----------------------------------------------------

    def hook_fields(self) -> dict[str, Any]:
        """The fields every hook event carries (hooks.py); a subagent's hooks carry its parent's."""
        mirror = self._transcript_mirror()
        return {
            "session_id": self._hook_session_id(),
            "transcript_path": mirror.touch() if mirror is not None else "",
            "cwd": str(self.cwd),
            "permission_mode": self.permissions.mode,
        }

    def _hook_session_id(self) -> str:
        if stored := self._ensure_session():
            return stored[1]
        if not self._unstored_session_id:
            import uuid

            self._unstored_session_id = self.session_id or str(uuid.uuid4())
        return self._unstored_session_id

    def _transcript_mirror(self) -> TranscriptFile | None:
        """The Claude Code-shaped transcript hook scripts read; None without hooks (a subagent's is set
        by the subagent manager)."""
        if self.hooks is None or self.agent_id is not None:
            return self.transcript_file
        from claw_tui.engine.transcript_file import TranscriptFile

        session_id = self._hook_session_id()
        if self.transcript_file is None or self.transcript_file.session_id != session_id:
            self.transcript_file = TranscriptFile.for_session(session_id, self.cwd)
            stored = self.store.messages(session_id) if self.store is not None else list(self.transcript)
            self.transcript_file.rewrite(stored)
        return self.transcript_file

    def stop_turn(self, reason: str) -> None:
        """A hook's `"continue": false`: the turn ends once the running tool calls are done."""
        self._stop_requested = self._stop_requested or reason

    def memory_for(self, paths: list[Path]) -> str:
        """Memory files of subdirectories and path-scoped rules that apply to `paths`, once each."""
        if self.nested_memory is None:
            return ""
        from claw_tui.engine.memory import nested_memory_text

        return nested_memory_text(self.nested_memory.for_paths(paths))

    # --- the session on disk ------------------------------------------------------------

    def _ensure_session(self) -> tuple[SessionStore, str] | None:
        """The store and the stored session's id, the session created on the first message so an app
        opened and closed leaves none; None without a store."""
        if self.store is None:
            return None
        if not self.session_id:
            session_id = self.store.create_session(self.cwd, self.model, session_id=self.new_session_id)
            self.new_session_id = None
            self._lock_session(self.store, session_id)
            self.session_id = session_id
            self._stored_count = 0
            self._unsaved = [m for m in self._unsaved if m in self.transcript]  # not a cleared session's
        return self.store, self.session_id

    def _lock_session(self, store: SessionStore, session_id: str) -> None:
        """Be the session's one writer (SessionBusy if another claw is); the main agent only."""
        if self.agent_id is not None or (self._session_lock and self._session_lock.session_id == session_id):
            return
        from claw_tui.engine.session_lock import SessionLock

        lock = SessionLock.acquire(store.path.parent, session_id)
        self.release_session()
        self._session_lock = lock

    def release_session(self) -> None:
        """Let another claw write this session (on exit, or before opening another one)."""
        if self._session_lock is not None:
            self._session_lock.release()
            self._session_lock = None

    def record_event(self, event: BaseModel | dict[str, Any]) -> None:
        """Keep what a resumed session needs to look as it did (compactions, file changes, tasks)."""
        if stored := self._ensure_session():
            store, session_id = stored
            store.append_event(session_id, event)

    def load_session(self, session_id: str) -> None:
        """Continue a stored session with its last model: the model sees it from its last compaction summary on.

        Raises SessionBusy when another claw has it open. Calls a crash left unanswered get
        their stored result first.
        """
        store = self.store
        if store is None:
            raise RuntimeError("load_session needs an agent with a session store")
        self._lock_session(store, session_id)
        self._unsaved.clear()  # the previous session's: they could not be stored, and do not belong here
        store.settle_interrupted_calls(session_id)
        messages = store.messages(session_id)
        info = store.get(session_id)
        self.session_id = session_id
        if self.agent_id is None:
            self.session_start = "resume"
        self._stored_count = len(messages)
        start = max((i for i, m in enumerate(messages) if m.is_compaction_summary), default=0)
        tail = messages[start:]
        records = store.event_records(session_id)
        for event in (e for _, e in records if e.get("type") == "summary_edited"):
            for i, msg in enumerate(tail):
                if msg.id == event.get("message_id") and msg.is_compaction_summary:
                    tail[i] = msg.model_copy(update={"content": [TextBlock(text=event.get("text", ""))]})
        self.transcript[:] = repair(tail)
        self.total_cost_usd = info.cost_usd if info is not None else 0.0
        from claw_tui.engine.read_state import read_state, session_model

        # The session goes on as it was: with its model (the last answer's, or one switched to since),
        # and knowing the files its model had read.
        self.model = session_model(messages) or self.model
        last_answer = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=-1)
        for at, event in records:
            if event.get("type") == "model_switched" and at > last_answer and isinstance(event.get("model"), str):
                self.model = event["model"]
        self.ctx.read_files.clear()
        self.ctx.read_files.update(read_state(self.transcript, self.ctx))
        from claw_tui.core.tasks import TaskGraph

        # The session's own tasks, or none: never those of whatever this agent ran before.
        snapshots = store.events(session_id, {"tasks"})
        self.ctx.services.task_graph = TaskGraph.from_json(snapshots[-1]["graph"]) if snapshots else TaskGraph()
        self._watch_tasks()
        self.reset_context_measure()

    def _watch_tasks(self) -> None:
        graph = self.ctx.services.task_graph
        if graph is not None and self.store is not None:
            graph.subscribe(lambda _task: self.record_event({"type": "tasks", "graph": graph.to_json()}))

    def _before_write(self, path: Path, prior: bytes | None) -> None:
        if self.checkpoints is not None and (stored := self._ensure_session()):
            self.checkpoints.snapshot(stored[1], self._turn_id, self._stored_count, path, prior)

    def after_write(self, path: Path) -> None:
        if self.checkpoints is None or not self.session_id or not path.is_file():
            return
        from claw_tui.engine.sessions import StoreError

        try:
            self.checkpoints.record_written(self.session_id, self._turn_id, path, path.read_bytes())
        except (StoreError, OSError):  # no snapshot (a write outside the file tools): nothing to undo
            pass

    async def attach_files(self, prompt: str) -> Attached:
        """The prompt with the content of each `@file` it mentions, read as the Read tool reads it."""
        from claw_tui.engine.file_mentions import attach_files
        from claw_tui.tools.files import Read

        return await attach_files(prompt, (self.tools.get("Read") or Read()).loaded(), self.ctx, self.permissions)

    def tell_model(self, text: str) -> None:
        """Something the user did outside a turn that the model must know (an /undo): it goes with the next prompt."""
        self._notes_for_model.append(self._redact(text))  # `!cmd` output may hold secrets, shown raw on screen only

    async def run_turn(self, prompt: str | Message | CommandPrompt) -> AsyncGenerator[ev.EngineEvent, None]:
        """One turn. A `CommandPrompt` is a slash command the front end expanded (user_commands.py)."""
        turn_id = self._turn_id = new_id("turn")
        yield self.event(ev.TurnStarted, turn_id=turn_id, model=self.model)
        if (lsp := self.ctx.services.lsp) is not None:
            lsp.start_configured()  # servers set to start with the session; the others start on a first file
        if self.hooks is not None:
            self.prepare_meanwhile()  # while the SessionStart and UserPromptSubmit hooks run
        expansion: CommandPrompt | None = None
        given: str | Message
        if isinstance(prompt, CommandPrompt):
            expansion, given = prompt, prompt.prompt
        else:
            given = prompt
        message = user_text(given) if isinstance(given, str) else given
        self._stop_requested = None
        if self.hooks is not None:
            events, blocked = await session_hooks.before_prompt(self, message, expansion)
            for event in events:
                yield event
            if blocked is not None:
                yield self.event(ev.Error, message=blocked, kind="hook")
                yield self.event(ev.TurnFinished, turn_id=turn_id, stop_reason="error")
                return
        if self._notes_for_model:
            notes = "\n".join(self._notes_for_model)
            message.content.insert(0, TextBlock(text=f"<system-reminder>\n{notes}\n</system-reminder>"))
            self._notes_for_model.clear()
        # A previous turn may have been cut off; make the history acceptable first.
        self.transcript[:] = repair(self.transcript)

        rounds = 0
        stop_reason = "end_turn"
        stop_hook_active = False  # true only while the turn goes on because a Stop hook blocked
        failure: ev.Error | None = None
        try:
            yield self.commit(message)
            while True:
                if rounds >= self.settings.max_turns:
                    stop_reason = "max_turns"
                    yield self.event(
                        ev.Notice, text=f"Stopped after {rounds} model calls (max turns).", level="warning"
                    )
                    break
                budget = self.settings.budget.session_usd
                if budget is not None and self.total_cost_usd >= budget:
                    stop_reason = "budget"
                    yield self.event(
                        ev.Notice,
                        text=f"Stopped: this session has spent ${self.total_cost_usd:.2f} of its ${budget:.2f} budget.",
                        level="warning",
                    )
                    break
                # Each inner stream is closed with the turn's (aclosing), so a turn closed at a yield
                # (see the except below) stops its model call and its tools at once.
                if compaction.needs_compaction(self):
                    async with aclosing(compaction.compact(self, trigger="auto")) as compacting:
                        async for item in compacting:
                            yield item
                rounds += 1
                response: ModelResponse | None = None
                self._model_call = ModelCall(self)
                async with aclosing(self._model_call.stream()) as model_call:
                    async for item in model_call:
                        if isinstance(item, ModelResponse):
                            response = item
                        else:
                            failure = item if isinstance(item, ev.Error) else failure
                            yield item
                if response is None:  # the model call failed for good; an Error was yielded
                    stop_reason = "error"
                    if self.hooks is not None and failure is not None:
                        await self.hooks.stop_failure(*session_hooks.failure_kind(failure))
                    break
                yield self.usage_event(response.usage)
                yield self.commit(response.message)
                self._measured_len = len(self.transcript)
                calls = response.message.tool_uses
                if response.stop_reason == "refusal":
                    stop_reason = "refusal"
                if not calls:
                    if response.stop_reason == "max_tokens":
                        yield self.event(
                            ev.Notice, text="The reply hit the output limit and was cut short.", level="warning"
                        )
                    if self.hooks is not None:
                        outcome = await self.hooks.stop(stop_hook_active, response.message.text)
                        for item in session_hooks.notices(self, outcome):
                            yield item
                        if outcome.block and not outcome.stop:
                            stop_hook_active = True
                            yield self.commit(user_text(f"Stop hook feedback: {outcome.reason}"))
                            continue
                    break
                self._done_results = []
                ends_turn = False
                async with aclosing(
                    run_tool_calls(self, calls, set(response.incomplete_tool_calls), self._done_results)
                ) as running:
                    async for item in running:
                        if isinstance(item, ev.ToolCallFinished) and item.metadata.get("ends_turn") and not item.is_error:
                            ends_turn = True  # the call was the turn's answer (StructuredOutput)
                        yield item
                order = {c.id: i for i, c in enumerate(calls)}
                results = sorted(self._done_results, key=lambda r: order.get(r.tool_use_id, 0))
                self._done_results = []
                yield self.commit(Message(role="user", content=list(results)))
                if self._stop_requested is not None:
                    stop_reason = "stopped_by_hook"
                    yield self.event(ev.Notice, text=f"Stopped by a hook: {self._stop_requested}", level="warning")
                    break
                if ends_turn:
                    break
        except (asyncio.CancelledError, GeneratorExit):
            # Cancelled inside a model call or a tool, or closed at a yield (a front end's task
            # cancelled while it drew an event, which aclose()s its streams): the same either way.
            self._settle_after_cancel()
            self._count_cut_short_call()
            raise
        except StoreError as exc:  # a full or read-only disk: the turn stops here, nothing half-written
            self._answer_unrun_calls("Not run: claw could not save the session (the disk refused a write), "
                                     "so the turn stopped before this call.")
            yield self.event(ev.Error, message=str(exc), kind="store")
            stop_reason = "error"
        yield self.event(ev.TurnFinished, turn_id=turn_id, stop_reason=stop_reason, turns=rounds)

    async def compact(self, instructions: str = "") -> AsyncGenerator[ev.EngineEvent, None]:
        """`/compact [instructions]`: summarise the older part of the conversation now."""
        async for item in compaction.compact(self, instructions, trigger="manual"):
            yield item

    def context_estimate(self) -> int:
        """Tokens the next request will hold: the last measured size plus an estimate of what came since."""
        if not self._measured_tokens:
            return compaction.estimate_tokens(self.transcript) + 4000  # system prompt and tool schemas
        return self._measured_tokens + compaction.estimate_tokens(self.transcript[self._measured_len :])

    def reset_context_measure(self) -> None:
        self._measured_tokens = 0
        self._measured_len = 0

    def _answer_unrun_calls(self, text: str) -> None:
        """Results for the calls of a last message whose tools will not run; stored with the next commit."""
        last = self.transcript[-1] if self.transcript else None
        if last is not None and last.role == "assistant" and last.tool_uses:
            answers = Message(role="user", content=[tool_result(u.id, text, is_error=True) for u in last.tool_uses])
            self.transcript.append(answers)
            if self.store is not None and self.session_id:
                self._unsaved.append(answers)

    def _settle_after_cancel(self) -> None:
        """Keep what streamed and answer unanswered tool calls, so the history stays valid; then mark the
        stop as Claude Code does, so the model knows its last answer was cut and replay shows it so."""
        partial = self._model_call.take_partial() if self._model_call is not None else None
        if partial is not None and partial.content:
            self.commit(partial)
        last = self.transcript[-1] if self.transcript else None
        during_tool_use = last is not None and last.role == "assistant" and bool(last.tool_uses)
        if self._done_results:
            self.commit(Message(role="user", content=list(self._done_results)))
            self._done_results = []
        fixed = repair(self.transcript)
        for msg in fixed[len(self.transcript) :]:
            self.commit(msg)
        self.commit(interruption(during_tool_use=during_tool_use))
        self.transcript[:] = repair(self.transcript)

    # --- model calls with retries -------------------------------------------------------

    def _count_cut_short_call(self) -> None:
        """A model call cancelled mid-stream is billed for what the server counted before: add it to
        the session's cost and store it, and keep its Usage event for the front end (`take_cut_short_usage`)."""
        if self._model_call is not None and (usage := self._model_call.cut_short_usage()) is not None:
            self._cut_short_usage = self.usage_event(usage)

    def take_cut_short_usage(self) -> ev.Usage | None:
        """The usage of the model call the last cancel cut short, once."""
        usage, self._cut_short_usage = self._cut_short_usage, None
        return usage

    def usage_event(self, u: TokenUsage, *, extra_usd: float = 0.0, measures_context: bool = True) -> ev.Usage:
        """A model call's usage and cost, added to the session's and stored. `extra_usd`: a priced call's
        fees beyond tokens (web searches); `measures_context`: whether the call's tokens are the
        conversation's size (not a side call's, such as a web search)."""
        from claw_tui.providers import catalog

        cost = catalog.cost_usd(self.model, u)
        if cost is not None:
            cost += extra_usd
            self.total_cost_usd += cost
        if measures_context:
            self._measured_tokens = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens
        info = catalog.lookup(self.model)
        event = self.event(
            ev.Usage,
            model=self.model,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
            cost_usd=cost,
            context_tokens=self._measured_tokens if measures_context else self.context_estimate(),
            context_window=info.context_window if info else None,
        )
        if self.store is not None and self.session_id:
            self.store.record_usage(
                self.session_id,
                self.model,
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.cache_write_tokens,
                cost,
            )
        return event

    # --- tools --------------------------------------------------------------------------

    def redact(self, result: ToolResult) -> ToolResult:
        """`result` with secrets replaced, whichever tool found them (a `.env` read, a diff…): core/redaction.py."""
        return result.redacted(self._redact)

    @property
    def redactor(self) -> Redactor:
        """What replaces secrets in tool output as it streams, and in the files a tool wrote."""
        return self._redact

    async def settle_background(self) -> None:
        """Wait (at most 10 s) for the hooks running in the background, e.g. a /clear's SessionEnd."""
        if self._background:
            await asyncio.wait(self._background, timeout=10)

    def in_background(self, work: Awaitable[Any]) -> None:
        """Run work without waiting for it (a Notification hook, getting the provider ready); `aclose` lets it finish."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

