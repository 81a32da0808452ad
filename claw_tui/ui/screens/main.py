"""The main screen: conversation, secondary panes, prompt and status bar; runs the turns.

Every engine event goes through `route`, the one place that knows the panes. Wide terminals
(≥ 140 columns) show the conversation beside a column of panes; narrow ones show the
conversation alone and the panes as tabs below it, toggled with Ctrl+B. F8 hides the focused
side pane (its focus key brings it back); F11 zooms the focused pane.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Unmount
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Tab, Tabs
from textual.worker import Worker, WorkerState

from claw_tui.config import layer_files, user_config_dir, user_data_dir
from claw_tui.core import events as ev
from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import Message
from claw_tui.engine.sessions import StoreError, UsageRecord
from claw_tui.ui.commands import CommandRegistry, SlashCommand, parse_invocation
from claw_tui.ui.history import build_history, usage_turns
from claw_tui.ui.messages import EngineEvent, TasksChanged
from claw_tui.ui.widgets.conversation import SLICE_S, Conversation, UserPrompt
from claw_tui.ui.widgets.cost_meter import CostMeter, UsageTotals
from claw_tui.ui.widgets.diff_view import DiffView
from claw_tui.ui.widgets.prompt import FileIndex, PromptBar, PromptHistory, PromptInput
from claw_tui.ui.widgets.status_bar import StatusBar, short_path
from claw_tui.ui.widgets.task_graph import TaskGraphPane
from claw_tui.ui.widgets.tool_log import MAX_CALLS as TOOL_LOG_CALLS
from claw_tui.ui.widgets.tool_log import ToolLog

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.mcp import McpManager

WIDE_MIN_COLUMNS = 140
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
SHELL_OUTPUT_LIMIT = 200_000  # bytes of `!cmd` output kept for display


class PaneBox(Vertical):
    """A titled frame around one secondary pane; zooms (maximizes) as a whole."""

    ALLOW_MAXIMIZE = True

    def __init__(self, pane: Widget, *, title: str, id: str) -> None:
        super().__init__(pane, id=id)
        self.border_title = title


# (key in focus_pane, frame id, tab label, focus key)
PANES = (
    ("tools", "pane-tools", "Tools", "f3"),
    ("diff", "pane-diff", "Diff", "f4"),
    ("tasks", "pane-tasks", "Tasks", "f5"),
    ("cost", "pane-cost", "Cost", "f6"),
)


class MainScreen(Screen[None]):
    CSS_PATH = "main.tcss"
    mcp_error = ""  # why the MCP servers did not start (a configuration file that cannot be read)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "cancel", tooltip="Cancel the running turn, or go back to the prompt"),
        Binding("f1", "slash('help')", "help", tooltip="Commands and keys"),
        # The footer shows F2 as "f2-f7 focus"; the help screen lists each key on its own.
        Binding("f2", "focus_pane('conversation')", "focus", key_display="f2-f7", tooltip="Focus the conversation"),
        *(
            Binding(key, f"focus_pane('{name}')", label.lower(), show=False, tooltip=f"Focus the {label.lower()} pane")
            for name, _, label, key in PANES
        ),
        Binding("f7", "focus_pane('prompt')", "prompt", show=False, tooltip="Focus the prompt"),
        Binding("ctrl+b", "toggle_side", "panes", tooltip="Show or hide the side panes"),
        Binding("f8", "hide_pane", "hide", tooltip="Hide the focused side pane (its focus key shows it again)"),
        Binding("f11", "zoom", "zoom", tooltip="Zoom the focused pane (again or Esc to restore)"),
        Binding("shift+tab", "cycle_mode", "mode", show=False, tooltip="Cycle permission mode: default, acceptEdits, plan, bypassPermissions"),
    ]

    def __init__(self, *, agent: FrontendAgent | None, cwd: Path, registry: CommandRegistry, agent_error: str = "") -> None:
        super().__init__()
        self.agent = agent
        self.agent_error = agent_error
        self.cwd = cwd
        self.registry = registry
        self.conversation = Conversation(id="conversation")
        self.prompt = PromptInput(
            history=PromptHistory(user_data_dir() / "history.jsonl"),
            files=FileIndex(cwd),
            commands=self._command_completions,
            id="prompt",
        )
        self.status = StatusBar(id="status")
        self.tool_log = ToolLog(id="tool-log")
        self.diff_view = DiffView(id="diff-view")
        self.task_pane = TaskGraphPane(id="task-graph")
        self.cost_meter = CostMeter(id="cost-meter")
        self.usage = UsageTotals()
        # Per path: the content before the session's first change and after its last one.
        self.session_changes: dict[str, tuple[str | None, str]] = {}
        self._queue: list[tuple[str | Message, UserPrompt]] = []
        self._turn: Worker[None] | None = None
        self._turn_id: str | None = None  # set while a turn is open (TurnStarted seen, TurnFinished not yet)
        self._side_shown = {"wide": True, "narrow": False}
        self._hidden_panes: set[str] = set()  # side panes hidden with F8 (wide layout)
        self._broken_panes: set[str] = set()

    @property
    def panes(self) -> tuple[Any, ...]:
        return (self.conversation, self.tool_log, self.diff_view, self.task_pane, self.cost_meter)

    def compose(self):  # type: ignore[override]
        with Horizontal(id="body"):
            yield self.conversation
            with Vertical(id="side"):
                yield Tabs(*(Tab(label, id=f"tab-{name}") for name, _, label, _ in PANES), id="side-tabs")
                yield PaneBox(self.tool_log, title="Tools · F3", id="pane-tools")
                yield PaneBox(self.diff_view, title="Diff · F4", id="pane-diff")
                yield PaneBox(self.task_pane, title="Tasks · F5", id="pane-tasks")
                yield PaneBox(self.cost_meter, title="Cost · F6", id="pane-cost")
        yield PromptBar(self.prompt)
        yield self.status
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.conversation.border_title = "Conversation · F2"
        self._apply_layout(self.app.size.width)
        self.status.cwd = short_path(self.cwd)
        self.prompt.focus()
        if self.agent is None:
            await self.conversation.add_note(f"claw cannot start the agent: {self.agent_error}", "error")
            return
        self.status.model = self.agent.model
        self.status.mode = self.agent.permissions.mode
        self.status.sandbox = "…"
        self.cost_meter.set_model(self.agent.model)
        self.cost_meter.set_budget(self.agent.settings.budget.session_usd)
        if (tasks := self.agent.task_graph) is not None:
            tasks.subscribe(lambda _task: self.post_message(TasksChanged()))
        self._watch_subagents()
        # The rest imports and starts things (the SDK, MCP servers, git, bwrap): after the first frame,
        # so they neither delay it nor compete with it for the interpreter.
        self.call_after_refresh(self._start_background_work)
        for problem in self.registry.problems:
            await self.conversation.add_note(problem, "warning")

    def _start_background_work(self) -> None:
        self._read_sandbox()
        self._read_cost_today()
        self.refresh_git()
        self._start_mcp()
        self._prepare_agent()
        self._sweep_worktrees()
        self._preload_markdown()

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload_markdown(self) -> None:
        """The Markdown renderer's imports, and what a first parse and highlight load, before the first
        answer needs them. A parser of its own: the shared one is used on the event loop only."""
        from markdown_it import MarkdownIt
        from textual.highlight import highlight

        import claw_tui.ui.widgets.markdown_blocks  # noqa: F401 - imported for its imports

        MarkdownIt("gfm-like").parse("*warm* https://example.com\n\n| a |\n|---|\n| 1 |\n")
        highlight("x = 1", language="python")

    @work(thread=True, group="sandbox", exit_on_error=False)
    def _read_sandbox(self) -> None:
        """Detecting bubblewrap runs a program; keep it off the event loop."""
        assert self.agent is not None
        try:
            status = self.agent.sandbox_status.split(":")[0]
        except Exception:  # noqa: BLE001 - a detection failure must not hide the rest of the status bar
            status = "unknown"
        self.app.call_from_thread(setattr, self.status, "sandbox", status)

    @work(thread=True, group="cost-today", exit_on_error=False)
    def _read_cost_today(self) -> None:
        """Today's spend before this session, from the session store (a database read: off the loop)."""
        if self.agent is None or (store := self.agent.store) is None:
            return
        try:
            spent = store.cost_today()
            # The meter adds this session's whole cost, a resumed one's earlier spend included.
            session_id = self.agent.session_id
            if session_id and (info := store.get(session_id)) is not None:
                spent -= info.cost_usd
        except Exception:  # noqa: BLE001 - the meter then shows this session only
            return
        self.app.call_from_thread(self.cost_meter.set_today, spent)

    @work(exclusive=True, group="git", exit_on_error=False)
    async def refresh_git(self) -> None:
        await self.status.refresh_git(self.cwd)

    # --- layout ---------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._apply_layout(self.size.width)

    @property
    def is_narrow(self) -> bool:
        return self.has_class("-narrow")

    def _apply_layout(self, width: int) -> None:
        self.set_class(width < WIDE_MIN_COLUMNS, "-narrow")
        for name, frame_id, _, _ in PANES:
            self.query_one(f"#{frame_id}").set_class(name in self._hidden_panes, "-hidden")
        self.set_class(not self.side_visible, "-side-hidden")

    @property
    def side_visible(self) -> bool:
        if self.is_narrow:
            return self._side_shown["narrow"]
        return self._side_shown["wide"] and len(self._hidden_panes) < len(PANES)

    def action_toggle_side(self) -> None:
        key = "narrow" if self.is_narrow else "wide"
        if not self.is_narrow and len(self._hidden_panes) == len(PANES):
            self._hidden_panes.clear()  # every pane was hidden one by one: Ctrl+B brings them back
            self._side_shown[key] = True
        else:
            self._side_shown[key] = not self._side_shown[key]
        self._apply_layout(self.size.width)
        self._leave_hidden_focus()

    def _leave_hidden_focus(self) -> None:
        """Focus on a pane that was just hidden goes back to the prompt."""
        focused = self.focused
        if focused is None:
            return
        ancestors = focused.ancestors_with_self
        in_side = self.query_one("#side") in ancestors
        frame = next((w for w in ancestors if isinstance(w, PaneBox)), None)
        if in_side and (not self.side_visible or (frame is not None and frame.has_class("-hidden"))):
            self.prompt.focus()

    def action_hide_pane(self) -> None:
        focused = self.focused
        frame = next((w for w in focused.ancestors_with_self if isinstance(w, PaneBox)), None) if focused else None
        if frame is None:
            self.notify("Focus a side pane first (F3-F6); Ctrl+B hides them all.", timeout=4)
            return
        if self.is_narrow:
            self.action_toggle_side()
            return
        name = next(key for key, frame_id, _, _ in PANES if frame_id == frame.id)
        self._hidden_panes.add(name)
        self._apply_layout(self.size.width)
        self._leave_hidden_focus()

    @on(Tabs.TabActivated, "#side-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        active = event.tab.id.removeprefix("tab-") if event.tab.id else ""
        for name, frame_id, _, _ in PANES:
            self.query_one(f"#{frame_id}").set_class(name == active, "-active")

    def focus_pane(self, name: str) -> None:
        if name == "prompt":
            self.prompt.focus()
            return
        if name == "conversation":
            self.conversation.focus()
            return
        frame_id = next(frame for key, frame, _, _ in PANES if key == name)
        self._hidden_panes.discard(name)
        self._side_shown["narrow" if self.is_narrow else "wide"] = True
        self._apply_layout(self.size.width)
        if self.is_narrow:
            self.query_one("#side-tabs", Tabs).active = f"tab-{name}"
        frame = self.query_one(f"#{frame_id}")
        target = next((w for w in frame.query("*") if w.focusable), None)
        if target is not None:
            target.focus()

    def action_focus_pane(self, name: str) -> None:
        self.focus_pane(name)

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None or focused is self.prompt:
            self.maximize(self.conversation, container=False)
        else:
            self.maximize(focused)

    def action_cycle_mode(self) -> None:
        if self.agent is None:
            return
        current = self.agent.permissions.mode
        mode = PERMISSION_MODES[(PERMISSION_MODES.index(current) + 1) % len(PERMISSION_MODES)] if current in PERMISSION_MODES else "default"
        self.agent.permissions.mode = mode
        self.status.mode = mode

    async def action_escape(self) -> None:
        if self.turn_running:
            self.cancel_turn()
            await self._restore_queue()
        elif shells := [w for w in self.workers if w.group == "shell" and w.is_running]:
            for worker in shells:
                worker.cancel()
        elif self.focused is not self.prompt:
            self.prompt.focus()

    async def action_slash(self, name: str) -> None:
        if (command := self.registry.get(name)) is not None:
            await self.run_command(command, "")

    # --- the prompt ---------------------------------------------------------------------------

    def _command_completions(self, typed: str) -> list[tuple[str, str, str]]:
        return [(c.name, c.argument_hint, c.help) for c in self.registry.completions(self, typed)]

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        text = message.text
        stripped = text.strip()
        if stripped.startswith("!") and len(stripped) > 1:
            self.run_shell(stripped[1:].strip())
        elif stripped.startswith("/") and not stripped.startswith("//"):
            name, args = parse_invocation(stripped)
            command = self.registry.get(name)
            if command is None or not command.is_available(self):
                await self.conversation.add_note(f"Unknown command /{name}. Type / to see the commands.", "warning")
            else:
                await self.run_command(command, args)
        else:
            await self.send_prompt(text[1:] if stripped.startswith("//") else text)

    async def run_command(self, command: SlashCommand, args: str) -> None:
        try:
            await command.action(self, args)
        except Exception as exc:  # noqa: BLE001 - a command's bug must not end the session
            self.log.error(f"/{command.name} failed", exc)
            await self.conversation.add_note(f"/{command.name} failed: {type(exc).__name__}: {exc}", "error")

    async def send_prompt(self, text: str, *, message: Message | None = None) -> None:
        """Start a turn with `text` (or with `message`, shown as `text`), or queue it when one is running."""
        if self.agent is None:
            await self.conversation.add_note(f"No agent to send to: {self.agent_error}", "error")
            return
        if self.turn_running:
            block = await self.conversation.add_user(text, queued=True)
            self._queue.append((message or text, block))
            self.status.queued = len(self._queue)
            return
        await self.conversation.add_user(text)
        self.run_engine(self._turn_events(message or text))

    # --- turns ---------------------------------------------------------------------------------

    @property
    def turn_running(self) -> bool:
        return self._turn is not None and not self._turn.is_finished

    def run_engine(self, events: AsyncIterator[ev.EngineEvent], label: str = "working…") -> None:
        """Consume an engine event stream (a turn, a compaction) in the exclusive turn worker."""
        self.status.working = label
        self._turn = self._consume(events)

    @work(exclusive=True, group="turn", exit_on_error=False, name="turn")
    async def _consume(self, events: AsyncIterator[ev.EngineEvent]) -> None:
        # A burst of buffered stream data is parsed without the SDK ever waiting on the network, so
        # without a pause now and then this loop would hold the event loop (keys, frames) to its end.
        slice_start = time.perf_counter()
        async for event in events:
            self.post_message(EngineEvent(event))
            if time.perf_counter() - slice_start > SLICE_S:
                await asyncio.sleep(0)
                slice_start = time.perf_counter()

    def cancel_turn(self) -> None:
        if self._turn is not None:
            self._turn.cancel()

    async def _restore_queue(self) -> None:
        """After a cancel, prompts queued behind the turn go back into the prompt, unsent."""
        if not self._queue:
            return
        texts = [block.text for _, block in self._queue]  # what the user typed (an MCP prompt's command)
        await self.conversation.remove_children([block for _, block in self._queue])
        self._queue.clear()
        self.status.queued = 0
        typed = self.prompt.text
        self.prompt.load_text("\n\n".join([*texts, typed] if typed.strip() else texts))
        self.prompt.move_cursor(self.prompt.document.end)

    async def on_engine_event(self, message: EngineEvent) -> None:
        await self.route(message.event)

    async def route(self, event: ev.EngineEvent) -> None:
        """The one place that knows the panes: every event goes to every pane."""
        self._track(event)
        for pane in self.panes:
            try:
                result = pane.handle_event(event)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - one pane's bug must not stop the others or the turn
                self.log.error(f"{type(pane).__name__}.handle_event failed", exc)
                if type(pane).__name__ not in self._broken_panes:
                    self._broken_panes.add(type(pane).__name__)
                    self.app.notify(f"{type(pane).__name__} failed to draw an event: {exc}", severity="error")

    def _track(self, event: ev.EngineEvent) -> None:
        match event:
            case ev.TurnStarted(turn_id=turn_id) if event.agent_id is None:
                self._turn_id = turn_id
            case ev.TurnFinished() if event.agent_id is None:
                self._turn_id = None
            case ev.Usage():
                self.usage.add(event)
            case ev.FileChanged(path=path, before=before, after=after):
                first_before = self.session_changes[path][0] if path in self.session_changes else before
                self.session_changes[path] = (first_before, after)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name != "turn" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state == WorkerState.ERROR:
            error = worker.error
            await self.route(ev.Error(message=f"{type(error).__name__}: {error}", kind="internal"))
        if self.agent is not None and (usage := self.agent.take_cut_short_usage()) is not None:
            await self.route(usage)  # the call the cancel cut short was billed for its input
        if self._turn_id is not None:  # the turn ended without its TurnFinished: tell every pane
            reason = "cancelled" if event.state == WorkerState.CANCELLED else "error"
            await self.route(ev.TurnFinished(turn_id=self._turn_id, stop_reason=reason))
        if worker is not self._turn:
            return
        self._turn = None
        self.status.working = ""
        self.prompt.file_index.invalidate()
        self.refresh_git()
        if self._queue:
            text, block = self._queue.pop(0)
            self.status.queued = len(self._queue)
            block.mark_sent()
            assert self.agent is not None
            self.run_engine(self._turn_events(text))

    async def on_tasks_changed(self, message: TasksChanged) -> None:
        if self.agent is not None and self.agent.task_graph is not None:
            self.task_pane.set_tasks(self.agent.task_graph.list())

    # --- MCP servers and subagents ---------------------------------------------------------

    @property
    def mcp_manager(self) -> McpManager | None:
        return self.agent.mcp if self.agent is not None else None

    def _watch_subagents(self) -> None:
        """Background subagents work outside any turn: their events reach the panes as a turn's do."""
        if self.agent is not None and (subagents := self.agent.subagents) is not None:
            subagents.subscribe(lambda event: self.post_message(EngineEvent(event)))

    @work(group="prepare", exit_on_error=False)
    async def _prepare_agent(self) -> None:
        """Load the model's SDK and client now, in a thread, rather than when the first prompt is sent."""
        if self.agent is not None:
            await self.agent.prepare()

    @work(thread=True, group="worktrees", exit_on_error=False)
    def _sweep_worktrees(self) -> None:
        """Remove worktrees that subagents of a claw process which has died left behind."""
        from claw_tui.engine import worktrees

        worktrees.cleanup_stale(self.cwd)

    @work(group="mcp", exit_on_error=False)
    async def _start_mcp(self) -> None:
        """Start the MCP servers without waiting for them, then say which ones did not come up."""
        from claw_tui.ui.mcp_commands import prompt_commands

        if self.agent is None:
            return
        try:
            manager = await self.agent.start_mcp(self.app.mcp_config, strict=self.app.strict_mcp_config, wait=False)
        except Exception as exc:  # noqa: BLE001 - a bad config file is a note (naming the file), never a traceback
            self.mcp_error = f"MCP servers not started: {exc}"
            await self.conversation.add_note(self.mcp_error, "warning")
            return
        if manager is None:  # no server is declared
            return
        self.registry.sources.append(lambda: prompt_commands(manager))
        self.prompt.resource_source = lambda: [(r.mention[1:], r.name) for r in manager.resources()]
        await manager.wait_settled()
        why = {"failed": "failed to start", "needs-auth": "needs you to sign in", "needs-trust": "needs your trust"}
        down = [f"{s.name} {why[s.status]}" for s in manager.statuses() if s.status in why]
        if down:
            await self.conversation.add_note(f"MCP: {'; '.join(down)}. /mcp shows the details.", "warning")

    async def _turn_events(self, prompt: str | Message) -> AsyncIterator[ev.EngineEvent]:
        """A turn, after attaching the MCP resources a typed prompt mentions (`@server:uri`)."""
        assert self.agent is not None
        manager = self.mcp_manager
        if isinstance(prompt, str) and manager is not None:
            from claw_tui.mcp.mentions import attach_resources, resource_mentions

            if resource_mentions(manager, prompt):
                prompt, attached, problems = await attach_resources(manager, prompt)
                if attached:
                    yield ev.Notice(text=f"Attached {', '.join(attached)} to the prompt.")
                for problem in problems:
                    yield ev.Notice(text=problem, level="warning")
        async for event in self.agent.run_turn(prompt):
            yield event

    @on(Unmount)
    async def _close_agent(self) -> None:
        """Quitting stops what the session started: MCP servers, background subagents, shells."""
        if self.agent is not None:
            await self.agent.aclose()

    # --- `!cmd` ----------------------------------------------------------------------------

    @work(group="shell", exit_on_error=False)
    async def run_shell(self, command: str) -> None:
        block = await self.conversation.add_shell(command)
        try:
            proc = await asyncio.create_subprocess_shell(
                command,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            block.finish(str(exc), 127)
            return
        assert proc.stdout is not None
        try:
            output = await proc.stdout.read(SHELL_OUTPUT_LIMIT)
            await proc.wait()
        except asyncio.CancelledError:
            proc.kill()
            await proc.wait()
            block.finish("cancelled", proc.returncode or -1)
            raise
        block.finish(output.decode("utf-8", "replace"), proc.returncode or 0)

    # --- commands' helpers ---------------------------------------------------------------------

    async def new_conversation(self) -> None:
        if self.turn_running:
            self.cancel_turn()
        self._queue.clear()
        self.status.queued = 0
        if self.agent is not None:
            self.agent.new_conversation()  # the next message starts a new stored session; this one is kept
        # Every pane starts over, as for a loaded session: the old one's calls, diff and cost belong to it.
        await self._fresh_panes()
        await self._fill_cost_meter([])
        if self.agent is not None and self.agent.task_graph is not None:  # open tasks carry over
            self.task_pane.set_tasks(self.agent.task_graph.list())
        await self.conversation.add_note("New conversation.")

    def open_model_picker(self) -> None:
        from claw_tui.ui.screens.model_picker import ModelPickerScreen

        assert self.agent is not None

        async def chosen(model: str | None) -> None:
            if model:
                await self.switch_model(model)

        self.app.push_screen(ModelPickerScreen(current=self.agent.model), callback=chosen)

    async def switch_model(self, model: str) -> None:
        assert self.agent is not None
        self.agent.set_model(model)
        self.status.model = model
        self.cost_meter.set_model(model)
        await self.conversation.add_note(f"Model: {model} (from the next turn; the conversation is kept).")

    async def show_session_diff(self) -> None:
        if not self.session_changes:
            await self.conversation.add_note("No file has changed in this session.")
            return
        changes = [FileChange(Path(path), before, after) for path, (before, after) in self.session_changes.items()]
        self.diff_view.show_changes(changes, "Session changes")  # the header counts the files
        self.focus_pane("diff")

    # --- stored sessions -----------------------------------------------------------------------

    async def open_session(self, session_id: str) -> bool:
        """Load a stored session into the agent and draw it on fresh panes; False (with a note) when it cannot be read."""
        agent = self.agent
        assert agent is not None and agent.store is not None
        graph = agent.task_graph
        try:
            agent.load_session(session_id)
            if agent.task_graph is not graph and agent.task_graph is not None:
                agent.task_graph.subscribe(lambda _task: self.post_message(TasksChanged()))
            await self._fresh_panes()
            await self.show_session(session_id)
        except StoreError as exc:  # a busy or damaged database: say so, the app goes on
            await self.conversation.add_note(f"Cannot open the session: {exc}", "error")
            return False
        return True

    async def _fresh_panes(self) -> None:
        """New pane widgets in place of the old ones, so a loaded session starts from clean panes.

        The cost meter is replaced by `show_history`, which fills a new one before mounting it.
        """
        for pane in (self.conversation, self.tool_log, self.diff_view, self.task_pane):
            await pane.remove()
        self.conversation = Conversation(id="conversation")
        self.tool_log = ToolLog(id="tool-log")
        self.diff_view = DiffView(id="diff-view")
        self.task_pane = TaskGraphPane(id="task-graph")
        self.session_changes = {}
        self._broken_panes.clear()
        await self.query_one("#body").mount(self.conversation, before=0)
        for frame_id, pane in (
            ("pane-tools", self.tool_log), ("pane-diff", self.diff_view), ("pane-tasks", self.task_pane),
        ):  # fmt: skip
            await self.query_one(f"#{frame_id}").mount(pane)
        self.conversation.border_title = "Conversation · F2"
        if self.focused is None:
            self.prompt.focus()

    async def show_session(self, session_id: str) -> None:
        """Draw a stored session as it looked live; the agent has just loaded it."""
        assert self.agent is not None
        store = self.agent.store
        transcript = self.agent.transcript
        # Without a compaction the loaded transcript is the whole session (repaired, which draws the
        # same), so the messages are not read and parsed a second time.
        whole = bool(transcript) and not transcript[0].is_compaction_summary
        messages = list(transcript) if whole else store.messages(session_id)
        await self.show_history(messages, store.usage(session_id), store.events(session_id))

    async def show_history(
        self, messages: list[Message], usage: Sequence[UsageRecord] = (), events: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Fill the panes from a stored session in one pass, without drawing anything token by token.

        Only a screenful of the conversation becomes widgets; the older blocks go straight into its list
        of unmounted blocks, as its own pruning would leave them, and scrolling up mounts a page at a time.
        """
        history = build_history(messages, events, self._tool_summary)
        conversation = self.conversation
        # A screenful, so there is something to scroll up with: every widget mounted delays the first frame.
        first = history.newest_filling(self.app.size.height)
        older, newest = history.blocks[: len(history.blocks) - first], history.blocks[len(history.blocks) - first :]
        await conversation.load(older, [make() for make in newest])
        self.tool_log.load(call.log_record() for call in history.calls[-TOOL_LOG_CALLS:])
        for change in history.file_changes:
            self._track(change)
        if history.file_changes:  # the diff pane shows the last call's changes, as it did live
            last = history.file_changes[-1].call_id
            for change in history.file_changes:
                if change.call_id == last:
                    self.diff_view.handle_event(change)
        await self._fill_cost_meter(usage_turns(usage, history.prompt_times))
        if self.agent is not None and self.agent.task_graph is not None:
            self.task_pane.set_tasks(self.agent.task_graph.list())

    async def _fill_cost_meter(self, turns: list[list[ev.Usage]]) -> None:
        """A new cost meter takes the usage before it is mounted, so it draws once, not per model call."""
        meter = CostMeter(id="cost-meter")
        self.usage = UsageTotals()
        for turn in turns:
            for used in turn:
                self._track(used)
                meter.handle_event(used)
            meter.handle_event(ev.TurnFinished(turn_id="", stop_reason="end_turn"))
        if self.agent is not None:  # after the usage, which names the models the session used then
            meter.set_model(self.agent.model)
            meter.set_budget(self.agent.settings.budget.session_usd)
        await self.cost_meter.remove()
        self.cost_meter = meter
        await self.query_one("#pane-cost").mount(meter)
        self._read_cost_today()

    def _tool_summary(self, name: str, data: dict[str, Any]) -> str:
        return self.agent.tool_summary(name, data) if self.agent is not None else name

    def show_undone(self, paths: list[Path]) -> None:
        """After /undo: the diff pane shows each file going from claw's version back to what it is now."""
        changes = []
        for path in paths:
            key = str(path.relative_to(self.cwd)) if path.is_relative_to(self.cwd) else str(path)
            first, written = self.session_changes.get(key, (None, ""))
            now = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            changes.append(FileChange(Path(key), written, now or ""))
            if now == first or (now is None and first is None):
                self.session_changes.pop(key, None)  # back to how the session found it
            else:
                self.session_changes[key] = (first, now or "")
        self.diff_view.show_changes(changes, f"Undone ({len(changes)} {'file' if len(changes) == 1 else 'files'})")

    async def announce_session(self, session_id: str, verb: str) -> None:
        """One line under a session just drawn: which it is, and where it was if not here."""
        assert self.agent is not None
        info = self.agent.store.get(session_id)
        if info is None:
            return
        title = f"“{info.title}”" if info.title else "an untitled session"
        count = f"{info.message_count} message{'s' if info.message_count != 1 else ''}"
        await self.conversation.add_note(f"{verb} {title} ({count}) · session {session_id}")
        if Path(info.project) != self.cwd:
            await self.conversation.add_note(
                f"This session was recorded in {short_path(Path(info.project))}; claw works in {short_path(self.cwd)}.",
                "warning",
            )

    async def session_store_for(self, command: str) -> Any:
        """The agent's session store, or None after saying why /command cannot run now."""
        store = self.agent.store if self.agent is not None else None
        if store is None:
            await self.conversation.add_note(f"{command}: sessions are not being saved in this run of claw.", "warning")
        elif self.turn_running:
            await self.conversation.add_note(f"{command}: wait for the turn to end, or press Esc to stop it.", "warning")
            return None
        return store

    async def open_session_browser(self, command: str = "/sessions") -> None:
        """/sessions: the browser over this project's sessions; resume or fork the one chosen."""
        from claw_tui.ui.screens.sessions import BrowserResult, SessionBrowser

        if (store := await self.session_store_for(command)) is None:
            return
        assert self.agent is not None

        async def chosen(result: BrowserResult | None) -> None:
            if result is None:
                return
            if self.turn_running:  # a turn started from the palette while the browser was open
                await self.conversation.add_note("A turn is running: open /sessions again once it ends.", "warning")
            elif result.action == "fork" and result.message_index is not None:
                await self.fork_session(result.session_id, result.message_index)
            else:
                await self.resume_session(result.session_id)

        self.app.push_screen(SessionBrowser(store, self.cwd, current_session=self.agent.session_id), callback=chosen)

    async def resume_session(self, id_or_prefix: str) -> None:
        """/resume ID: load that session in place of the current one (which stays stored)."""
        if (store := await self.session_store_for("/resume")) is None:
            return
        try:
            session_id = store.resolve_id(id_or_prefix)
        except StoreError as exc:
            await self.conversation.add_note(f"/resume: {exc} /sessions lists them.", "error")
            return
        if await self.open_session(session_id):
            await self.announce_session(session_id, "Resumed")

    async def fork_session(self, session_id: str, message_index: int) -> None:
        """A new session with messages 0..message_index of `session_id`, loaded in its place."""
        assert self.agent is not None
        try:
            fork = self.agent.store.fork(session_id, message_index)
        except StoreError as exc:
            await self.conversation.add_note(f"Cannot fork: {exc}", "error")
            return
        if await self.open_session(fork):
            await self.announce_session(fork, f"Forked at message {message_index + 1}:")

    async def undo_last_turn(self) -> None:
        """/undo: the files of the last turn that changed any go back; a file the user changed since stays."""
        if (await self.session_store_for("/undo")) is None:
            return
        assert self.agent is not None
        if not self.agent.session_id:
            await self.conversation.add_note("/undo: no file has changed in this session.")
            return
        report = self.agent.checkpoints.undo_last_turn(self.agent.session_id)
        lines = report.lines(self.cwd)
        await self.conversation.add_note("Undo: " + "\n".join(lines), "warning" if report.skipped else "info")
        if report.restored or report.deleted:
            self.show_undone(report.restored + report.deleted)
            self.agent.tell_model(  # its history still shows the edits
                "The user undid the file changes of the last turn (" + "; ".join(lines) + "). "
                "Those files are back as they were before it; read them again before editing."
            )

    async def open_rewind_picker(self) -> None:
        """/rewind: pick a prompt; the conversation goes back to just before it, and so do the files."""
        from claw_tui.ui.screens.rewind import RewindPicker

        if (store := await self.session_store_for("/rewind")) is None:
            return
        assert self.agent is not None
        messages = store.messages(self.agent.session_id) if self.agent.session_id else []

        async def chosen(index: int | None) -> None:
            if index is not None:
                await self.rewind_to(index, messages[index])

        self.app.push_screen(RewindPicker(messages), callback=chosen)

    async def rewind_to(self, index: int, prompt: Message) -> None:
        """Restore files to before message `index`, keep messages 0..index-1, and put the prompt back in the box."""
        agent = self.agent
        assert agent is not None and agent.session_id is not None
        if self.turn_running:
            await self.conversation.add_note("/rewind: wait for the turn to end, or press Esc to stop it.", "warning")
            return
        session_id = agent.session_id
        try:
            report = agent.checkpoints.rewind(session_id, index)
            agent.store.truncate_after(session_id, index - 1)
        except StoreError as exc:
            await self.conversation.add_note(f"/rewind: {exc}", "error")
            return
        if not await self.open_session(session_id):
            return
        files = report.lines(self.cwd) if not report.empty else ["No file had changed since then."]
        await self.conversation.add_note("Rewound to before that prompt.\n" + "\n".join(files))
        self.prompt.load_text(prompt.text)
        self.prompt.move_cursor(self.prompt.document.end)

    def cost_summary(self) -> str:
        u = self.usage
        cost = f"${u.cost_usd:.4f}" + (f" (+ {u.unpriced_calls} calls at unknown prices)" if u.unpriced_calls else "")
        return (
            f"**Cost of this session: {cost}**\n\n"
            f"- Model calls: {u.calls}\n"
            f"- Input tokens: {u.input_tokens:,}\n"
            f"- Output tokens: {u.output_tokens:,}\n"
            f"- Cache reads: {u.cache_read_tokens:,} tokens, cache writes: {u.cache_write_tokens:,} tokens\n"
        )

    def status_report(self) -> str:
        lines = ["**Status**", "", f"- Directory: `{short_path(self.cwd)}`"]
        if self.status.branch:
            lines.append(f"- Git branch: `{self.status.branch}`" + (" (uncommitted changes)" if self.status.dirty else ""))
        if self.agent is not None:
            lines += [
                f"- Model: `{self.agent.model}`",
                f"- Permission mode: `{self.agent.permissions.mode}` (Shift+Tab cycles)",
                f"- Sandbox: {self.status.sandbox or 'unknown'}",
                f"- Session: `{self.agent.session_id or 'not stored'}`",
            ]
            files = self.agent.config.files
            lines.append("- Config files: " + (", ".join(f"`{short_path(f)}`" for f in files) if files else "none (defaults)"))
        return "\n".join(lines)

    def permissions_report(self) -> str:
        if self.agent is None:
            return "No agent."
        permissions = self.agent.permissions
        # The engine's rules: the configured ones plus those "always allow" added this session.
        rows = [(r.behavior, r.rule, r.source) for r in permissions.rules_for_display()]
        head = f"**Permission rules** (mode `{permissions.mode}`)\n\n"
        problems = "".join(f"\n- {problem}" for problem in permissions.problems)
        if problems:
            problems = "\n\n**Rules that could not be read**" + problems
        withheld = self.agent.config.withheld
        if withheld:
            problems += "\n\n**Waiting for `claw trust`**: " + ", ".join(withheld)
        if not rows:
            return head + "No rules: every tool follows the mode." + problems
        table = "| Behavior | Rule | From |\n|---|---|---|\n" + "".join(f"| {b} | `{r}` | {s} |\n" for b, r, s in rows)
        return head + table + problems

    def memory_report(self) -> str:
        from claw_tui.engine.memory import load_memory

        files = load_memory(self.cwd, user_config_dir=user_config_dir())
        if not files:
            return "**Memory files**\n\nNone found. `/init` asks the model to write an AGENTS.md."
        return "**Memory files**\n\n" + "\n".join(f"- `{short_path(Path(f.path))}`" for f in files)

    def config_report(self) -> str:
        lines = ["**Configuration files** (later ones override earlier ones)", ""]
        for source, path in layer_files(self.cwd):
            state = "present" if path.is_file() else "not present"
            lines.append(f"- {source}: `{short_path(path)}` ({state})")
        lines += ["", "Environment variables `CLAW_*` and command-line flags override every file."]
        return "\n".join(lines)
