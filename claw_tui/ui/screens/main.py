"""The main screen: conversation, secondary panes, prompt and status bar; runs the turns.

Every engine event goes through `route`, the one place that knows the panes. Wide terminals
(≥ 140 columns) show the conversation beside a column of panes; narrow ones show the
conversation alone and the panes as tabs below it, toggled with Ctrl+B. F8 hides the focused
side pane (its focus key brings it back); F11 zooms the focused pane.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Unmount
from textual.screen import Screen
from textual.widgets import Tab, Tabs
from textual.worker import Worker, WorkerState

from claw_tui.config import user_data_dir
from claw_tui.core import events as ev
from claw_tui.core.diffs import FileChange
from claw_tui.core.home_paths import short_path
from claw_tui.core.transcript import Message
from claw_tui.engine.sessions import UsageRecord
from claw_tui.engine.user_commands import CommandPrompt
from claw_tui.ui.commands import CLAUDE_CODE_ONLY, CommandRegistry, SlashCommand, parse_invocation
from claw_tui.ui.messages import EngineEvent, TasksChanged
from claw_tui.ui.replay import build_history, usage_turns
from claw_tui.ui.reports import Workspace
from claw_tui.ui.screens.boot import MAIN_KEYS, PANES, WIDE_MIN_COLUMNS
from claw_tui.ui.short_terminal import fit_rows
from claw_tui.ui.widgets.conversation import SLICE_S, Conversation, UserPrompt
from claw_tui.ui.widgets.cost_meter import CostMeter, UsageTotals
from claw_tui.ui.widgets.diff_view import DiffView
from claw_tui.ui.widgets.footer import HintFooter
from claw_tui.ui.widgets.pane_box import PaneBox
from claw_tui.ui.widgets.prompt import FileIndex, PromptBar, PromptHistory, PromptInput
from claw_tui.ui.widgets.status_bar import StatusBar
from claw_tui.ui.widgets.task_graph import TaskGraphPane
from claw_tui.ui.widgets.tool_log import MAX_CALLS as TOOL_LOG_CALLS
from claw_tui.ui.widgets.tool_log import ToolLog
from claw_tui.ui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.mcp import McpManager

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
QUIT_WINDOW_S = 2.0  # a second Ctrl+C within this quits


class MainScreen(ReportsWorkerFailures, Screen[None]):
    CSS_PATH = "main.tcss"
    REPORTS_OWN_FAILURES = frozenset({"turn"})  # a failed turn is an error in the conversation
    mcp_error = ""  # why the MCP servers did not start (a configuration file that cannot be read)
    # Focused as the screen is pushed, before on_mount: keys typed while the app starts go to the prompt
    # (Textual's default would focus the conversation, the first focusable widget, until on_mount).
    AUTO_FOCUS = "#prompt"

    BINDINGS: ClassVar[list[BindingType]] = MAIN_KEYS

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
        self._queue: list[tuple[str | Message | CommandPrompt, UserPrompt]] = []
        self._turn: Worker[None] | None = None
        self._turn_id: str | None = None  # set while a turn is open (TurnStarted seen, TurnFinished not yet)
        self._side_shown = {"wide": True, "narrow": False}
        self._hidden_panes: set[str] = set()  # side panes hidden with F8 (wide layout)
        self._broken_panes: set[str] = set()
        self._last_interrupt = 0.0  # when Ctrl+C last found nothing to cancel (a second press quits)
        self._firing: Worker[None] | None = None  # fires the scheduled prompts while there are any
        self.mcp_started = asyncio.Event()  # set once the MCP servers were started (or could not be)

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
        yield HintFooter(compact=True)

    async def on_mount(self) -> None:
        self.conversation.border_title = "Conversation · F2"
        self._apply_layout(self.app.size.width)
        fit_rows(self, self.app.size.height)
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
        if (scheduler := self.agent.scheduler) is not None:  # scheduled prompts show in the task pane
            scheduler.subscribe(lambda: self.post_message(TasksChanged()))
        self._watch_subagents()
        await self.conversation.add_greeting(
            Content.assemble(
                ("claw", "bold $text-primary"), f" · {self.agent.model} · {short_path(self.cwd)}\n",
                "Enter sends · / commands · @ attaches a file · ! runs a command · Shift+Tab mode · F1 help · Ctrl+C twice quits",
            )
        )
        for problem in [*self.registry.problems, *self.agent.startup_notes]:
            await self.conversation.add_note(problem, "warning")

    def start_background_work(self) -> None:
        """What imports and starts things (the SDK, MCP servers, git, bwrap): the app calls it once,
        when its first whole frame is written, which it would otherwise delay by competing for the
        interpreter."""
        if self.agent is None:
            return
        self._read_sandbox()
        self._read_cost_today()
        self.refresh_git()
        self._prepare_agent()  # first on the import thread: the first prompt waits for the model's SDK
        self._start_mcp()
        self._sweep_worktrees()
        self._ask_trust()

    def _preload_markdown(self) -> None:
        """The Markdown renderer's imports, and what a first parse and highlight load, before the first
        answer needs them (on the import thread: the answer's own import waits for it to finish)."""
        from claw_tui.core import background_imports
        from claw_tui.ui.widgets import diff_view, markdown_view

        background_imports.run(diff_view.warm_up)  # the first approval's diff (Pygments)
        background_imports.start(markdown_view.RENDERER)
        background_imports.run(markdown_view.warm_up)

    @work(thread=True, group="sandbox", name="read the sandbox status", exit_on_error=False)
    def _read_sandbox(self) -> None:
        """Detecting bubblewrap runs a program; keep it off the event loop."""
        assert self.agent is not None
        warning = None
        try:
            status = self.agent.sandbox_status.split(":")[0]
            warning = self.agent.sandbox_warning
        except Exception:  # noqa: BLE001 - a detection failure must not hide the rest of the status bar
            status = "unknown"
        self.app.call_from_thread(self._show_sandbox, status, warning)  # type: ignore[arg-type]  # it awaits it

    async def _show_sandbox(self, status: str, warning: str | None) -> None:
        """The status bar's sandbox field; once, the warning that commands run unsandboxed and ask."""
        self.status.sandbox = status
        if warning:
            await self.conversation.add_note(f"Sandbox: {warning}", "warning")

    @work(thread=True, group="cost-today", name="read today's cost", exit_on_error=False)
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

    @work(exclusive=True, group="git", name="read the git status", exit_on_error=False)
    async def refresh_git(self) -> None:
        await self.status.refresh_git(self.cwd)

    # --- layout ---------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._apply_layout(self.size.width)
        fit_rows(self, self.size.height)

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
        """default → acceptEdits → plan → back to default; bypassPermissions only after a yes on its own screen."""
        if self.agent is None:
            return
        current = self.agent.permissions.mode
        mode = PERMISSION_MODES[(PERMISSION_MODES.index(current) + 1) % len(PERMISSION_MODES)] if current in PERMISSION_MODES else "default"
        if mode != "bypassPermissions":
            self.set_mode(mode)
            return
        from claw_tui.ui.screens.bypass import BypassScreen

        self.app.push_screen(BypassScreen(), callback=lambda yes: self.set_mode("bypassPermissions" if yes else "default"))

    def set_mode(self, mode: str) -> None:
        assert self.agent is not None
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

    async def action_interrupt(self) -> None:
        """Ctrl+C as in Claude Code and a shell: copy, else cancel, else clear, else quit when pressed twice."""
        if (selection := self.get_selected_text()) is not None:
            self.app.copy_to_clipboard(selection)
            return
        now = time.monotonic()
        if self.turn_running or [w for w in self.workers if w.group == "shell" and w.is_running]:
            await self.action_escape()
        elif self.prompt.text:
            self.prompt.clear()
        elif now - self._last_interrupt < QUIT_WINDOW_S:
            self.app.exit()
        else:
            self._last_interrupt = now
            self.notify("Press Ctrl+C again to quit (or Ctrl+D).", timeout=QUIT_WINDOW_S)
            return
        self._last_interrupt = 0.0

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
            if command is None and name in CLAUDE_CODE_ONLY:
                await self.conversation.add_note(f"/{name} is Claude Code's: {CLAUDE_CODE_ONLY[name]}.", "warning")
            elif command is None or not command.is_available(self):
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

    async def send_prompt(self, text: str, *, message: Message | CommandPrompt | None = None) -> None:
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

    @property
    def prompt_idle(self) -> bool:
        """No turn, queued prompt or `!command` running, and no screen over this one: a scheduled prompt may go."""
        shells = [w for w in self.workers if w.group == "shell" and w.is_running]
        return not self.turn_running and not self._queue and not shells and self.app.screen is self

    def run_engine(self, events: AsyncGenerator[ev.EngineEvent, None], label: str = "working…") -> None:
        """Consume an engine event stream (a turn, a compaction) in the exclusive turn worker."""
        self.status.working = label
        self._turn = self._consume(events)

    @work(exclusive=True, group="turn", exit_on_error=False, name="turn")
    async def _consume(self, events: AsyncGenerator[ev.EngineEvent, None]) -> None:
        # A burst of buffered stream data is parsed without the SDK ever waiting on the network, so
        # without a pause now and then this loop would hold the event loop (keys, frames) to its end.
        # A cancel may land on that pause, outside the engine's stream: closing the stream then lets the
        # engine keep what streamed and count the call cut short, as when the cancel lands inside it.
        slice_start = time.perf_counter()
        async with contextlib.aclosing(events):
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

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:  # type: ignore[override]
        # (Textual calls the handler of each class along the MRO: ReportsWorkerFailures' runs too.)
        worker = event.worker
        if worker.name != "turn" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state == WorkerState.ERROR:
            error = worker.error
            await self.route(ev.Error(message=f"{type(error).__name__}: {error}", kind="internal"))
        if self.agent is not None and (usage := self.agent.take_cut_short_usage()) is not None:
            await self.route(usage)  # the call the cancel cut short was billed for its input
        if self._turn_id is not None:  # the turn ended without its TurnFinished: tell every pane
            await self.route(ev.TurnFinished(
                turn_id=self._turn_id, stop_reason="cancelled" if event.state == WorkerState.CANCELLED else "error"
            ))
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
        if self.agent is not None and (scheduler := self.agent.scheduler) is not None:
            self.task_pane.set_schedule(scheduler.jobs(), scheduler.clock.now())
            if scheduler.jobs() and (self._firing is None or self._firing.is_finished):  # the firing loop runs while there are jobs
                self._firing = self._fire_scheduled()

    # --- MCP servers and subagents ---------------------------------------------------------

    @property
    def mcp_manager(self) -> McpManager | None:
        return self.agent.mcp if self.agent is not None else None

    def _watch_subagents(self) -> None:
        """Background subagents work outside any turn: their events reach the panes as a turn's do."""
        if self.agent is not None and (subagents := self.agent.subagents) is not None:
            subagents.subscribe(lambda event: self.post_message(EngineEvent(event)))

    @work(group="prepare", name="prepare the model's client", exit_on_error=False)
    async def _prepare_agent(self) -> None:
        """Load the model's SDK and client now, in a thread, rather than when the first prompt is sent;
        then what the first answer and approval draw with (queued behind the SDK, not before it)."""
        if self.agent is not None:
            await self.agent.prepare()
        self._preload_markdown()

    @work(thread=True, group="worktrees", name="remove stale worktrees", exit_on_error=False)
    def _sweep_worktrees(self) -> None:
        """Remove worktrees that subagents of a claw process which has died left behind."""
        from claw_tui.engine import worktrees

        worktrees.cleanup_stale(self.cwd)

    @work(group="trust", name="ask whether to trust this folder", exit_on_error=False)
    async def _ask_trust(self) -> None:
        from claw_tui.ui import trust

        await self.mcp_started.wait()
        await trust.ask_at_start(self)

    @work(group="schedule", name="fire the scheduled prompts", exit_on_error=False)
    async def _fire_scheduled(self) -> None:
        if self.agent is not None and (scheduler := self.agent.scheduler) is not None:
            from claw_tui.ui import schedule

            await schedule.fire_when_idle(self, scheduler)

    @work(group="mcp", name="start the MCP servers", exit_on_error=False)
    async def _start_mcp(self) -> None:
        from claw_tui.ui.mcp_commands import start_servers

        await start_servers(self)

    async def _turn_events(self, prompt: str | Message | CommandPrompt) -> AsyncGenerator[ev.EngineEvent, None]:
        """A turn, after attaching the MCP resources (`@server:uri`) and files (`@path`) a typed prompt mentions."""
        assert self.agent is not None
        manager = self.mcp_manager
        if isinstance(prompt, str) and manager is not None:
            from claw_tui.mcp.mentions import attach_resources, resource_mentions

            if resource_mentions(manager, prompt):
                prompt, resources, problems = await attach_resources(manager, prompt)
                if resources:
                    yield ev.Notice(text=f"Attached {', '.join(resources)} to the prompt.")
                for problem in problems:
                    yield ev.Notice(text=problem, level="warning")
        if isinstance(prompt, str):
            from claw_tui.engine.file_mentions import file_mentions

            if file_mentions(prompt):  # `@file`: its content goes with the prompt
                attached = await self.agent.attach_files(prompt)
                if attached.attached:
                    prompt = attached.message
                    yield ev.Notice(text=f"Attached {', '.join(attached.attached)}.")
                for problem in attached.problems:
                    yield ev.Notice(text=problem, level="warning")
        async with contextlib.aclosing(self.agent.run_turn(prompt)) as turn:
            async for event in turn:
                yield event

    @on(Unmount)
    async def _close_agent(self) -> None:
        """Quitting stops what the session started: MCP servers, background subagents, shells."""
        if self.agent is not None:
            await self.agent.aclose()

    # --- `!cmd` ----------------------------------------------------------------------------

    @work(group="shell", name="run the shell command", exit_on_error=False)
    async def run_shell(self, command: str) -> None:
        from claw_tui.ui import shell_command

        await shell_command.run(self, command)

    # --- commands' helpers ---------------------------------------------------------------------

    async def new_conversation(self) -> None:
        if self.turn_running:
            self.cancel_turn()
        self._queue.clear()
        self.status.queued = 0
        if self.agent is not None:
            self.agent.new_conversation()  # the next message starts a new stored session; this one is kept
        # Every pane starts over, as for a loaded session: the old one's calls, diff and cost belong to it.
        await self.fresh_panes()
        await self._fill_cost_meter([])
        if self.agent is not None and self.agent.task_graph is not None:  # open tasks carry over
            self.task_pane.set_tasks(self.agent.task_graph.list())
        await self.conversation.add_note("New conversation.")

    def open_model_picker(self) -> None:
        from claw_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen

        assert self.agent is not None

        agent = self.agent

        async def chosen(model: ModelChoice | None) -> None:
            if model is not None:
                if model.base_url:  # a discovered local server: its models are reached at its own address
                    agent.use_local_server(model.base_url)
                await self.switch_model(model.id)

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

    async def fresh_panes(self) -> None:
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
        self.post_message(TasksChanged())  # the new task pane lists the scheduled prompts too

    async def show_session(self, session_id: str) -> None:
        """Draw a stored session as it looked live; the agent has just loaded it."""
        assert self.agent is not None and self.agent.store is not None  # a stored session was loaded
        store = self.agent.store
        transcript = self.agent.transcript
        # Without a compaction the loaded transcript is the whole session (repaired, which draws the
        # same), so the messages are not read and parsed a second time.
        whole = bool(transcript) and not transcript[0].is_compaction_summary
        messages = list(transcript) if whole else store.messages(session_id)
        await self.show_history(messages, store.usage(session_id), store.events(session_id))
        for notice in store.take_notices():  # a damaged message was skipped
            await self.conversation.add_note(notice, "warning")

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

    def workspace(self) -> Workspace:
        status = self.status
        return Workspace(cwd=self.cwd, branch=status.branch, dirty=status.dirty, sandbox=status.sandbox)

    def _tool_summary(self, name: str, data: dict[str, Any]) -> str:
        return self.agent.tool_summary(name, data) if self.agent is not None else name

