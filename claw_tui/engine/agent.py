"""The agent loop: one turn = model call ⇄ tool calls until the model ends its turn.

`Agent.run_turn()` is an async generator of engine events. The transcript is kept
consistent at every moment: a cancel (the consumer cancels the task iterating the turn)
keeps the partial text and answers unanswered tool calls as cancelled, so the next request
is accepted by any provider. Tools run only after the model's message is complete, and the
turn-level retry never re-runs a tool.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from claw_tui.config import LoadedConfig, Settings, load_config
from claw_tui.core import events as ev
from claw_tui.core import preload
from claw_tui.core.approval import Approver, DenyingApprover
from claw_tui.core.transcript import Message, TextBlock, ToolResultBlock, new_id, repair, user_text
from claw_tui.engine import compaction, system_prompt
from claw_tui.engine.services import SessionServices
from claw_tui.engine.tool_calls import run_tool_calls
from claw_tui.providers.base import ModelRequest, ModelResponse, Provider, ProviderError, TokenUsage, ToolSpec
from claw_tui.tools.base import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from claw_tui.core.tasks import TaskGraph
    from claw_tui.engine.checkpoints import CheckpointStore
    from claw_tui.engine.hooks import HookRunner
    from claw_tui.engine.permissions import PermissionEngine
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.engine.subagents import SubagentManager
    from claw_tui.mcp import McpManager
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
        self.model = model or self.settings.model
        self.store = store
        self.session_id = session_id
        self.agent_id = agent_id
        self.transcript: list[Message] = []
        self.total_cost_usd = 0.0
        self.ctx = ctx or ToolContext(cwd=cwd, roots=[cwd], services=SessionServices())
        self.mcp: McpManager | None = None  # set by start_mcp
        self._providers: dict[str, Provider] = {}
        self._building: dict[str, asyncio.Future[Provider]] = {}  # a provider's client, while it is being built
        self._cut_short_usage: ev.Usage | None = None
        # What a cancel must keep: the reply streamed so far, and results of calls that ran.
        self._partial: Message | None = None
        self._done_results: list[ToolResultBlock] = []
        # The context size the provider last reported, and how much transcript it covered.
        self._measured_tokens = 0
        self._measured_len = 0
        self._provider_factory = provider_factory
        services = self.ctx.services
        services.permissions = services.permissions or permissions
        services.approver = services.approver or approver
        from claw_tui.tools.shell import ShellManager, secret_values

        # Key values no tool result may carry to the model, the transcript or the front end.
        keys = self.settings.providers
        configured = {"ANTHROPIC_API_KEY": keys.anthropic.api_key or "", "OPENAI_API_KEY": keys.openai.api_key or "",
                      "CLAW_LOCAL_API_KEY": keys.local.api_key or ""}
        self._secrets = secret_values(os.environ, self.ctx.env, configured)
        if services.shell is None:
            # Made here rather than on the first Bash call, so it carries the agent's key set to scrub.
            services.shell = ShellManager(cwd, self.ctx.env, self._secrets)
        # Messages of this session in the store (more than the transcript after a compaction).
        self._stored_count = 0
        self._turn_id = ""
        # SessionStart hooks run before the first turn with this source; None once they ran.
        self._session_start: str | None = "startup" if agent_id is None else None
        self._background: set[asyncio.Task[Any]] = set()  # work not waited for (in_background)
        self._notes_for_model: list[str] = []  # what the user did between turns, told with the next prompt
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
    ) -> Agent:
        """Build an agent with the built-in tools, the user's rules, hooks and memory files."""
        from claw_tui.config import RuleSource, user_config_dir
        from claw_tui.core.tasks import TaskGraph
        from claw_tui.engine.hooks import HookRunner
        from claw_tui.engine.memory import load_memory, memory_prompt
        from claw_tui.engine.permissions import PermissionEngine
        from claw_tui.engine.skills import list_skills, skills_prompt
        from claw_tui.engine.subagents import SubagentManager
        from claw_tui.engine.toolset import builtin_tools

        cwd = cwd.resolve()
        config = config or load_config(cwd)
        settings = config.settings
        roots = [cwd] + [
            (cwd / Path(d).expanduser()).resolve() for d in settings.permissions.additional_directories
        ]
        rules = list(config.rules) + [RuleSource(b, r, "flags") for b, r in (extra_rules or [])]  # type: ignore[arg-type]
        mode = permission_mode or settings.permissions.mode
        permissions = PermissionEngine(mode, rules, roots)  # type: ignore[arg-type]
        approver = approver or DenyingApprover()
        services = SessionServices(
            sandbox=settings.sandbox, task_graph=TaskGraph(), lsp=language_servers(cwd, settings), asker=asker
        )
        ctx = ToolContext(cwd=cwd, roots=roots, services=services)
        hooks = HookRunner(settings.hooks, cwd, session_id or "") if settings.hooks else None
        memory = memory_prompt(load_memory(cwd, user_config_dir=user_config_dir()))
        # Skills: only names and descriptions up front; the Skill tool loads a body on demand.
        memory = "\n\n".join(p for p in (memory, skills_prompt(list_skills(cwd))) if p)
        denied_tools = {r.rule for r in rules if r.behavior == "deny" and "(" not in r.rule}
        tools = [t for t in builtin_tools() if t.name not in denied_tools]
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
        return agent

    async def start_mcp(
        self, mcp_config: list[str] | tuple[str, ...] = (), *, strict: bool = False, wait: bool = True, **kwargs: Any
    ) -> McpManager | None:
        """Start the configured MCP servers; their tools join the model's as they connect. None,
        with none of the MCP client loaded, when no server is declared anywhere.

        Raises McpConfigError (naming the file) on a configuration that cannot be read.
        """
        from claw_tui.mcp.config import load_servers

        servers = load_servers(self.cwd, tuple(mcp_config), strict=strict)
        if not servers:
            return None
        from claw_tui.mcp import McpManager

        manager = McpManager.for_servers(servers, self.cwd, **kwargs)
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
        for name in [n for n in self.tools if n.startswith("mcp__")]:
            del self.tools[name]
        for tool in manager.tools():
            if tool.name not in denied:
                self.tools[tool.name] = tool

    async def aclose(self) -> None:
        """Stop what the session started: subagents, worktrees, shells, background commands, language servers."""
        if self._background:  # notification hooks still running finish first (they have their own timeouts)
            await asyncio.wait(self._background, timeout=10)
        if self.hooks is not None and self.agent_id is None and self._session_start is None:
            try:
                await self.hooks.session_end("exit")
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

    @property
    def task_graph(self) -> TaskGraph | None:
        return self.ctx.services.task_graph

    @property
    def subagents(self) -> SubagentManager | None:
        services = self.ctx.services
        return services.subagents if isinstance(services, SessionServices) else None

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

    def refresh_agent_types(self) -> None:
        """Offer the agent types on disk now (made or edited on /agents) from the next request on."""
        from claw_tui.engine.agent_defs import describe_types, list_agents

        tool = self.tools.get("Agent")
        if tool is not None:  # this instance's description: the tool's own, plus the types, as Claude Code has it
            tool.description = describe_types(type(tool).description, list_agents(self.cwd))  # type: ignore[misc]

    def new_conversation(self) -> None:
        """Start over: the next message begins a new stored session; the current one stays stored."""
        self.transcript.clear()
        self.reset_context_measure()
        self.session_id = None
        self.total_cost_usd = 0.0

    @property
    def sandbox_status(self) -> str:
        from claw_tui.tools.sandbox import detect

        if not self.settings.sandbox.enabled:
            return "disabled"
        status = detect()
        return "on" if status.available else f"off: {status.reason}"

    def set_model(self, model: str) -> None:
        """Switch models from the next request on; the history is kept as it is."""
        self.model = model

    async def provider_for(self, model: str) -> tuple[Provider, str]:
        registry = await preload.loaded(REGISTRY)  # never a module another thread is still importing
        name, native = registry.parse_model_id(model)
        if name not in self._providers:
            building = self._building.get(name)
            if building is None:  # one build per provider, whoever else is waiting for it
                factory = self._provider_factory or (lambda name: registry.make_provider(name, self.settings))

                def build() -> Provider:
                    provider = factory(name)
                    registry.preload_first_request_modules(name)
                    return provider

                # Importing an SDK and building its client takes up to a second or more: in a thread,
                # so a front end sharing this event loop keeps painting meanwhile.
                building = self._building[name] = asyncio.ensure_future(preload.in_thread(build))
                building.add_done_callback(lambda done: self._built(name, done))
            await asyncio.shield(building)
        return self._providers[name], native

    def _built(self, name: str, done: asyncio.Future[Provider]) -> None:
        if done.cancelled() or done.exception() is not None:
            del self._building[name]  # whoever waited gets the error; the next call tries again
        else:
            self._providers.setdefault(name, done.result())

    def share_providers(self, parent: Agent) -> None:
        """A subagent uses its parent's SDK clients: one per provider for the whole session."""
        self._providers = parent._providers
        self._building = parent._building
        self._provider_factory = parent._provider_factory

    async def prepare(self) -> None:
        """Get the current model's provider ready before the first prompt (a front end calls this
        once it is on screen); a problem such as a missing key is reported by the first turn."""
        try:
            await self.provider_for(self.model)
        except Exception:  # noqa: BLE001, S110 - the turn that needs the provider says what is wrong
            pass

    def prepare_meanwhile(self) -> None:
        """Get the provider ready while the caller waits on something else (MCP servers connecting,
        hooks running): importing its SDK overlaps with a wait, never with Python work, which the
        GIL runs one thread at a time."""
        self.in_background(self.prepare())

    # --- the turn -----------------------------------------------------------------------

    def event(self, cls: type[ev.Event], **fields: Any) -> Any:
        return cls(agent_id=self.agent_id, **fields)

    def commit(self, message: Message) -> ev.MessageCompleted:
        """Append a finished message to the transcript and the store, before anything else."""
        self.transcript.append(message)
        if self._ensure_session():
            self.store.append_message(self.session_id, message)
            self._stored_count += 1
        return self.event(ev.MessageCompleted, message=message)

    # --- the session on disk ------------------------------------------------------------

    def _ensure_session(self) -> bool:
        """Create the stored session on the first message, so an app opened and closed leaves none."""
        if self.store is None:
            return False
        if not self.session_id:
            self.session_id = self.store.create_session(self.cwd, self.model)
            self._stored_count = 0
        return True

    def record_event(self, event: BaseModel | dict[str, Any]) -> None:
        """Keep what a resumed session needs to look as it did (compactions, file changes, tasks)."""
        if self._ensure_session():
            self.store.append_event(self.session_id, event)

    def load_session(self, session_id: str) -> None:
        """Continue a stored session: the model sees it from its last compaction summary on."""
        messages = self.store.messages(session_id)
        info = self.store.get(session_id)
        self.session_id = session_id
        if self.agent_id is None:
            self._session_start = "resume"
        self._stored_count = len(messages)
        start = max((i for i, m in enumerate(messages) if m.is_compaction_summary), default=0)
        tail = messages[start:]
        for event in self.store.events(session_id, {"summary_edited"}):
            for i, msg in enumerate(tail):
                if msg.id == event.get("message_id") and msg.is_compaction_summary:
                    tail[i] = msg.model_copy(update={"content": [TextBlock(text=event.get("text", ""))]})
        self.transcript[:] = repair(tail)
        self.total_cost_usd = info.cost_usd if info is not None else 0.0
        from claw_tui.core.tasks import TaskGraph

        # The session's own tasks, or none: never those of whatever this agent ran before.
        snapshots = self.store.events(session_id, {"tasks"})
        self.ctx.services.task_graph = TaskGraph.from_json(snapshots[-1]["graph"]) if snapshots else TaskGraph()
        self._watch_tasks()
        self.reset_context_measure()

    def _watch_tasks(self) -> None:
        graph = self.ctx.services.task_graph
        if graph is not None and self.store is not None:
            graph.subscribe(lambda _task: self.record_event({"type": "tasks", "graph": graph.to_json()}))

    def _before_write(self, path: Path, prior: bytes | None) -> None:
        if self.checkpoints is not None and self._ensure_session():
            self.checkpoints.snapshot(self.session_id, self._turn_id, self._stored_count, path, prior)

    def after_write(self, path: Path) -> None:
        if self.checkpoints is None or not self.session_id or not path.is_file():
            return
        from claw_tui.engine.sessions import StoreError

        try:
            self.checkpoints.record_written(self.session_id, self._turn_id, path, path.read_bytes())
        except (StoreError, OSError):  # no snapshot (a write outside the file tools): nothing to undo
            pass

    def tell_model(self, text: str) -> None:
        """Something the user did outside a turn that the model must know (an /undo): it goes with the next prompt."""
        self._notes_for_model.append(text)

    async def run_turn(self, prompt: str | Message) -> AsyncIterator[ev.EngineEvent]:
        turn_id = self._turn_id = new_id("turn")
        yield self.event(ev.TurnStarted, turn_id=turn_id, model=self.model)
        if (lsp := self.ctx.services.lsp) is not None:
            lsp.start_configured()  # servers set to start with the session; the others start on a first file
        if self.hooks is not None:
            self.prepare_meanwhile()  # while the SessionStart and UserPromptSubmit hooks run
        message = user_text(prompt) if isinstance(prompt, str) else prompt
        if self.hooks is not None and self._session_start is not None:
            outcome = await self.hooks.session_start(self._session_start)
            self._session_start = None
            for note in outcome.messages:
                yield self.event(ev.Notice, text=note, level="warning")
            if outcome.additional_context:
                message.content.append(TextBlock(text=outcome.additional_context))
        if self.hooks is not None:
            outcome = await self.hooks.user_prompt_submit(message.text)
            for note in outcome.messages:
                yield self.event(ev.Notice, text=note, level="warning")
            if outcome.block:
                yield self.event(ev.Error, message=f"Prompt blocked by a hook: {outcome.reason}", kind="hook")
                yield self.event(ev.TurnFinished, turn_id=turn_id, stop_reason="error")
                return
            if outcome.additional_context:
                message.content.append(TextBlock(text=outcome.additional_context))
        if self._notes_for_model:
            notes = "\n".join(self._notes_for_model)
            message.content.insert(0, TextBlock(text=f"<system-reminder>\n{notes}\n</system-reminder>"))
            self._notes_for_model.clear()
        # A previous turn may have been cut off; make the history acceptable first.
        self.transcript[:] = repair(self.transcript)
        yield self.commit(message)

        rounds = 0
        stop_reason = "end_turn"
        try:
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
                if compaction.needs_compaction(self):
                    async for item in compaction.compact(self, trigger="auto"):
                        yield item
                rounds += 1
                response: ModelResponse | None = None
                async for item in self._call_model():
                    if isinstance(item, ModelResponse):
                        response = item
                    else:
                        yield item
                if response is None:  # the model call failed for good; an Error was yielded
                    stop_reason = "error"
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
                        outcome = await self.hooks.stop(stop_hook_active=rounds > 1)
                        if outcome.block and outcome.reason:
                            yield self.commit(user_text(f"Stop hook feedback: {outcome.reason}"))
                            continue
                    break
                self._done_results = []
                async for item in run_tool_calls(self, calls, set(response.incomplete_tool_calls), self._done_results):
                    yield item
                order = {c.id: i for i, c in enumerate(calls)}
                results = sorted(self._done_results, key=lambda r: order.get(r.tool_use_id, 0))
                self._done_results = []
                yield self.commit(Message(role="user", content=list(results)))
        except asyncio.CancelledError:
            self._settle_after_cancel()
            self._count_cut_short_call()
            raise
        yield self.event(ev.TurnFinished, turn_id=turn_id, stop_reason=stop_reason, turns=rounds)

    async def compact(self, instructions: str = "") -> AsyncIterator[ev.EngineEvent]:
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

    def _settle_after_cancel(self) -> None:
        """Keep what streamed and answer unanswered tool calls, so the history stays valid."""
        if self._partial is not None and self._partial.content:
            self.commit(self._partial)
        self._partial = None
        if self._done_results:
            self.commit(Message(role="user", content=list(self._done_results)))
            self._done_results = []
        fixed = repair(self.transcript)
        for msg in fixed[len(self.transcript) :]:
            self.commit(msg)
        self.transcript[:] = repair(self.transcript)

    # --- model calls with retries -------------------------------------------------------

    def _request(self, native_model: str) -> ModelRequest:
        return ModelRequest(
            model=native_model,
            system=system_prompt.build(
                self.cwd, self.ctx.roots, self.model, memory=self.memory_prompt
            ),
            messages=repair(self.transcript),
            tools=[ToolSpec(name=t.name, description=t.description, input_schema=t.schema()) for t in self.tools.values()],
            max_tokens=self.settings.max_tokens,
            thinking_budget=self.settings.thinking_budget,
        )

    async def _call_model(self) -> AsyncIterator[Any]:
        """Stream one model response, retrying what a new attempt can fix."""
        settings = self.settings
        attempts = settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            self._partial = Message(role="assistant", model=self.model)
            try:
                provider, native = await self.provider_for(self.model)
                async for item in provider.stream(self._request(native)):
                    if isinstance(item, ModelResponse):
                        item.message.model = self.model
                        self._partial = None
                        yield item
                        return
                    self._track_partial(item)
                    yield item.model_copy(update={"agent_id": self.agent_id})
                raise ProviderError("The model's stream ended without a final message.", kind="stream")
            except ProviderError as err:
                streamed = bool(self._partial and self._partial.content)
                self._partial = None
                if not err.retryable or attempt == attempts:
                    msg = err.message if attempt == 1 else f"{err.message} (gave up after {attempt} attempts)"
                    yield self.event(ev.Error, message=msg, kind=err.kind)
                    return
                delay = self._retry_delay(err, attempt)
                if delay is None:
                    yield self.event(
                        ev.Error,
                        message=f"{err.message} The provider asks to wait {err.retry_after:.0f} s; try again later.",
                        kind=err.kind,
                    )
                    return
                yield self.event(
                    ev.Retrying,
                    attempt=attempt,
                    max_attempts=attempts - 1,
                    delay_s=delay,
                    reason=err.message,
                    discard_partial=streamed or err.partial,
                )
                await asyncio.sleep(delay)

    def _retry_delay(self, err: ProviderError, attempt: int) -> float | None:
        s = self.settings
        if err.retry_after is not None:
            return None if err.retry_after > s.max_retry_wait else max(0.0, err.retry_after)
        backoff = s.retry_base_delay * (2 ** (attempt - 1))
        return min(s.max_retry_wait, backoff * (1 + random.random() * 0.25))

    def _track_partial(self, item: Any) -> None:
        """Mirror streamed text into a partial message kept if the turn is cancelled."""
        partial = self._partial
        if partial is None:
            return
        last = partial.content[-1] if partial.content else None
        if isinstance(item, ev.TextDelta):
            if isinstance(last, TextBlock):
                last.text += item.text
            else:
                partial.content.append(TextBlock(text=item.text))
        elif isinstance(item, ev.ThinkingDelta):
            # Unsigned thinking cannot be replayed; it is shown, not kept.
            pass

    def _count_cut_short_call(self) -> None:
        """A model call cancelled mid-stream is billed for what the server counted before: add it to
        the session's cost and store it, and keep its Usage event for the front end (`take_cut_short_usage`)."""
        for provider in self._providers.values():
            usage = getattr(provider, "cut_short_usage", None)
            if usage is not None:
                provider.cut_short_usage = None  # type: ignore[attr-defined]
                if usage != TokenUsage():
                    self._cut_short_usage = self.usage_event(usage)

    def take_cut_short_usage(self) -> ev.Usage | None:
        """The usage of the model call the last cancel cut short, once."""
        usage, self._cut_short_usage = self._cut_short_usage, None
        return usage

    def usage_event(self, u: TokenUsage) -> ev.Usage:
        from claw_tui.providers import catalog

        cost = catalog.cost_usd(self.model, u)
        if cost is not None:
            self.total_cost_usd += cost
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
            context_tokens=u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens,
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
        """`result` with claw's key values replaced, whichever tool found them (a `.env` read, a diff…)."""
        from claw_tui.tools.shell import redact

        if not self._secrets or not any(s in result.output for s in self._secrets):
            return result
        content = [
            TextBlock(text=redact(b.text, self._secrets)) if isinstance(b, TextBlock) else b for b in result.content
        ]
        return dataclasses.replace(result, content=content)

    def in_background(self, work: Awaitable[Any]) -> None:
        """Run work without waiting for it (a Notification hook, getting the provider ready); `aclose` lets it finish."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
