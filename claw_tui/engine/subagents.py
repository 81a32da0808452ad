"""Subagents: child agents the Agent tool spawns, run and reports on.

One `SubagentManager` per session lives in the main agent's `ctx.services.subagents`. Each child is an
`Agent` with its own transcript and context, the tool subset of its agent type, and the
parent's permission engine, approver, hooks and memory, so every call a child makes is gated
as if the parent made it. The child's id is the id of the Agent call that spawned it; its
events carry that id as `agent_id`, which is how front ends put them under the call.

A semaphore caps how many children run at once (`agents.max_concurrent`). A foreground
child runs inside the Agent call's own task, so cancelling the call cancels it; a background
child runs in its own task until it finishes, is stopped (TaskStop) or the session closes.
Each child is a task in the parent's task graph (owner = child id), its cost rolls up into
the parent's, and its events reach the parent's turn stream (foreground) or the manager's
listeners (background). A child in a worktree hands its changes back through the parent's
approver; what the main tree changed meanwhile is a conflict, kept as a patch.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalRequest
from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import new_id
from claw_tui.engine.agent_defs import AgentDef
from claw_tui.engine.permissions import Decision, PermissionEngine
from claw_tui.tools.base import FileEditTool, Services, Tool, ToolContext, ToolError, ToolResult

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent
    from claw_tui.engine.worktrees import Worktree, WorktreeChange

ChildStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
Emit = Callable[[Any], Awaitable[None]]
Listener = Callable[[Any], object]  # what it returns is ignored

# The task graph has no "failed": a child that failed or was cancelled leaves its task pending
# (the work is still to do); `metadata["agent_status"]` says what really happened.
_TASK_STATUS = {
    "queued": "pending",
    "running": "in_progress",
    "completed": "completed",
    "failed": "pending",
    "cancelled": "pending",
}
class SubagentError(Exception):
    """A request about subagents that cannot be done; the message is meant for the model."""


@dataclass
class SpawnRequest:
    description: str
    prompt: str
    agent: AgentDef
    model: str | None = None
    background: bool = False
    isolation: Literal["worktree"] | None = None
    name: str | None = None


@dataclass
class Child:
    id: str
    type: str
    description: str
    prompt: str
    model: str
    background: bool
    name: str | None = None
    isolation: str | None = None
    status: ChildStatus = "queued"
    task_id: str | None = None
    cost_usd: float = 0.0
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    report: str = ""  # the child's final text
    error: str = ""
    merge_note: str = ""  # what became of a worktree's changes
    inbox: list[str] = field(default_factory=list)  # SendMessage text not yet delivered
    unread: bool = False  # a finished background report TaskOutput has not returned yet
    agent: Any = None  # Agent
    worktree: Worktree | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    runner: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def label(self) -> str:
        return f"{self.id} ({self.type}: {self.description})"

    def to_dict(self) -> dict[str, Any]:
        """What the task pane and `/agents` show of a child."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "model": self.model,
            "status": self.status,
            "background": self.background,
            "isolation": self.isolation,
            "task_id": self.task_id,
            "cost_usd": self.cost_usd,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
        }


class SubagentManager:
    def __init__(self, parent: Agent, *, max_concurrent: int = 4) -> None:
        self.parent = parent
        self.max_concurrent = max_concurrent
        self.children: dict[str, Child] = {}
        self._slots = asyncio.Semaphore(max_concurrent)
        self._merge_lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        self._swept = False  # stale worktrees removed once, before the first new one
        # The parent's own worktree (EnterWorktree) and what it replaced.
        self.worktree: Worktree | None = None
        self._home: tuple[Path, list[Path], Any] | None = None

    # --- looking ------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` for each event of a background child; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def list(self) -> list[Child]:
        return list(self.children.values())

    def has(self, ref: str) -> bool:
        return self._find(ref) is not None

    def get(self, ref: str) -> Child:
        child = self._find(ref)
        if child is None:
            known = ", ".join(c.label for c in self.children.values()) or "none were started in this session"
            raise SubagentError(f"No agent {ref!r}. Agents: {known}.")
        return child

    def _find(self, ref: str) -> Child | None:
        ref = ref.strip()
        if ref in self.children:
            return self.children[ref]
        return next((c for c in reversed(self.children.values()) if c.name == ref), None)

    # --- starting -----------------------------------------------------------------------

    def spawn(self, request: SpawnRequest, call_id: str | None = None) -> Child:
        """Make a child (and its worktree and task) without starting it."""
        child_id = call_id or new_id("agent")
        if child_id in self.children:
            raise SubagentError(f"An agent with id {child_id} already exists.")
        if request.name and (other := self._find(request.name)) is not None and other.active:
            raise SubagentError(f"An agent named {request.name!r} is still running ({other.id}); pick another name.")
        child = Child(
            id=child_id,
            type=request.agent.name,
            description=request.description.strip() or request.agent.name,
            prompt=request.prompt,
            model=resolve_model(request.model or request.agent.model, self.parent.model),
            background=request.background,
            name=request.name,
            isolation=request.isolation,
        )
        if request.isolation == "worktree":
            child.worktree = self._new_worktree(child_id)
        child.agent = self._build(child, request.agent)
        self.children[child.id] = child
        graph = self._graph()
        if graph is not None:
            task = graph.create(
                child.description,
                request.prompt,
                active_form=f"{child.type} agent: {child.description}",
                owner=child.id,
                metadata={"agent_id": child.id, "agent_type": child.type, "agent_status": "queued",
                          "background": child.background, "isolation": child.isolation},
            )
            child.task_id = task.id
        return child

    def _new_worktree(self, child_id: str) -> Worktree:
        from claw_tui.engine import worktrees

        if not self._swept:
            self._swept = True
            worktrees.cleanup_stale(self.parent.cwd)
        try:
            return worktrees.create_worktree(self.parent.cwd, child_id.replace("/", "-"))
        except worktrees.WorktreeError as exc:
            raise SubagentError(str(exc)) from None

    def _build(self, child: Child, agent_def: AgentDef) -> Agent:
        parent = self.parent
        tools = [tool for name, tool in parent.tools.items() if agent_def.allows(name)]
        cwd, roots, permissions = parent.cwd, list(parent.ctx.roots), parent.permissions
        if child.worktree is not None:
            cwd, roots, permissions = isolated_workspace(child.worktree, parent)
        shared = parent.ctx.services
        services = Services(
            sandbox=shared.sandbox,
            sandbox_guard=shared.sandbox_guard,
            local_network_ok=shared.local_network_ok,
            task_graph=shared.task_graph,
            lsp=shared.lsp if child.worktree is None else None,  # a worktree's files are not the server's
        )
        ctx = ToolContext(cwd=cwd, roots=roots, env=dict(parent.ctx.env), services=services)
        if child.worktree is None:
            ctx.before_write = parent.ctx.before_write  # the parent's checkpoints: /undo covers a child's edits
            # The same editor's buffers and terminals as the parent (ACP), for the same workspace.
            ctx.editor_files, ctx.editor_terminals = parent.ctx.editor_files, parent.ctx.editor_terminals
        memory = "\n\n".join(p for p in (agent_def.system_prompt, parent.memory_prompt) if p)
        # A child is an agent of its parent's class: named through the parent, since agent.py imports this module.
        agent = type(parent)(
            cwd=cwd,
            config=parent.config,
            tools=tools,
            permissions=permissions,
            approver=parent.approver,
            hooks=parent.hooks.for_subagent(child.id, agent_def.name) if parent.hooks is not None else None,
            memory_prompt=memory,
            model=child.model,
            ctx=ctx,
            agent_id=child.id,
        )
        agent.share_providers(parent)
        if parent.nested_memory is not None:
            agent.nested_memory = parent.nested_memory.fork()
        if agent.hooks is not None:  # its own transcript, for its SubagentStop hooks
            from claw_tui.engine.transcript_file import TranscriptFile

            session = str(parent.hook_fields()["session_id"])
            agent.transcript_file = TranscriptFile.for_subagent(session, child.id, cwd)
            agent.hooks.agent_transcript = agent.transcript_file.touch()
        return agent

    async def run(self, child: Child, emit: Emit | None = None) -> Child:
        """Run a child to its end in the caller's task (a cancel of the caller cancels it)."""
        await self._drive(child, emit)
        return child

    def start(self, child: Child) -> None:
        """Run a child in the background; its events go to the listeners."""
        child.background = True
        child.done.clear()
        child.runner = asyncio.create_task(self._drive(child, None), name=f"subagent {child.id}")

    # --- running ------------------------------------------------------------------------

    async def _drive(self, child: Child, emit: Emit | None) -> None:
        prompt = child.prompt if not child.agent.transcript else self._take_inbox(child)
        status: ChildStatus = "failed"
        try:
            async with self._slots:
                child.started_at = child.started_at or time.time()
                self._set_status(child, "running")
                if child.agent.hooks is not None and not child.agent.transcript:
                    prompt = await self._start_hooks(child, prompt, emit)
                while True:
                    stop, error = await self._turn(child, prompt, emit)
                    if stop in ("error", "refusal"):
                        child.error = error or ("The model refused the task." if stop == "refusal" else "failed")
                        break
                    if stop in ("max_turns", "budget"):
                        child.error = f"stopped early ({stop.replace('_', ' ')})"
                    if not child.inbox:
                        break
                    prompt = self._take_inbox(child)
            child.report = _last_text(child.agent)
            status = "failed" if child.error and not child.report else "completed"
            if child.worktree is not None:
                child.merge_note = await self._finish_worktree(child, emit, keep_changes=status == "completed")
        except asyncio.CancelledError:
            status = "cancelled"
            child.error = "cancelled"
            if child.worktree is not None:
                self._drop_worktree(child)
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must fail this child, not its siblings or the session
            child.error = f"{type(exc).__name__}: {exc}"
            status = "failed"
        finally:
            child.finished_at = time.time()
            child.unread = child.background
            self._set_status(child, status)
            await self._close_shell(child)
            child.done.set()

    async def _start_hooks(self, child: Child, prompt: str, emit: Emit | None) -> str:
        """SubagentStart hooks: what they add joins the child's first prompt."""
        outcome = await child.agent.hooks.subagent_start()
        for note in outcome.messages:
            await self._deliver(ev.Notice(text=note, level="warning", agent_id=child.id), emit)
        return f"{prompt}\n\n{outcome.additional_context}" if outcome.additional_context else prompt

    @staticmethod
    def _take_inbox(child: Child) -> str:
        text = "\n\n".join(f"Message from the main agent:\n{m}" for m in child.inbox)
        child.inbox.clear()
        return text

    async def _turn(self, child: Child, prompt: str, emit: Emit | None) -> tuple[str, str]:
        stop, error = "end_turn", ""
        async for event in child.agent.run_turn(prompt):
            if isinstance(event, ev.Usage):
                self._roll_up(child, event)
            elif isinstance(event, ev.Error):
                error = event.message
            elif isinstance(event, ev.TurnFinished):
                stop = event.stop_reason
            elif isinstance(event, ev.FileChanged) and child.worktree is None:
                self.parent.record_event(event)
            await self._deliver(event, emit)
        return stop, error

    def _roll_up(self, child: Child, usage: ev.Usage) -> None:
        if usage.cost_usd:
            child.cost_usd += usage.cost_usd
            self.parent.total_cost_usd += usage.cost_usd
        parent = self.parent
        if parent.store is not None and parent.session_id:
            parent.store.record_usage(
                parent.session_id,
                usage.model,
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                usage.cost_usd,
            )

    async def _deliver(self, event: Any, emit: Emit | None) -> None:
        if emit is not None:
            await emit(event)
            return
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a front end's bug must not stop the child
                listener(event)

    def _graph(self) -> Any:
        return self.parent.ctx.services.task_graph

    def _set_status(self, child: Child, status: ChildStatus) -> None:
        from claw_tui.core.tasks import TaskError

        child.status = status
        graph = self._graph()
        if graph is None or child.task_id is None:
            return
        meta: dict[str, Any] = {"agent_status": status}
        if status not in ("queued", "running"):
            meta.update(cost_usd=round(child.cost_usd, 6), error=child.error or None)
        try:
            graph.update(child.task_id, status=_TASK_STATUS[status], metadata=meta)
        except TaskError:
            pass  # the model deleted the task; the child still runs

    async def _close_shell(self, child: Child) -> None:
        shell, child.agent.ctx.services.shell = child.agent.ctx.services.shell, None
        if shell is not None:
            with contextlib.suppress(Exception):
                await shell.close()

    # --- results ------------------------------------------------------------------------

    def result(self, child: Child) -> ToolResult:
        """The Agent call's result: the child's report, or why it has none."""
        meta = {"agent_id": child.id, "status": child.status, "cost_usd": child.cost_usd}
        if child.status == "completed":
            text = child.report or "(The agent finished without a report.)"
            if child.error:
                text += f"\n\n(The agent {child.error}.)"
        else:
            text = f"Agent {child.label} {child.status}: {child.error or 'no reason given'}."
            if child.report:
                text += f"\nIts last message:\n{child.report}"
        if child.merge_note:
            text += f"\n\n{child.merge_note}"
        return ToolResult.text(text, is_error=child.status != "completed", **meta)

    async def wait(self, child: Child, timeout: float | None) -> bool:
        """Wait for a child to finish; False when the timeout came first."""
        try:
            await asyncio.wait_for(asyncio.shield(child.done.wait()), timeout)
        except TimeoutError:
            return False
        return True

    async def output(self, ref: str, *, block: bool, timeout: float) -> ToolResult:
        """TaskOutput for an agent: its report once it has finished, else its status."""
        child = self.get(ref)
        if block and child.active:
            await self.wait(child, timeout)
        if child.active:
            waited = f" after waiting {timeout:g} s" if block else ""
            return ToolResult.text(
                f"Agent {child.label}: {child.status}{waited}. Call TaskOutput again later.",
                agent_id=child.id,
                status=child.status,
            )
        child.unread = False
        return self.result(child)

    async def send(self, ref: str, message: str) -> str:
        """SendMessage: queue text for a running child, or resume a finished one with it."""
        child = self.get(ref)
        if not message.strip():
            raise SubagentError("The message is empty.")
        if child.active:
            child.inbox.append(message)
            return (
                f"Message queued for agent {child.label}; it reads it when its current step ends and "
                "continues from there."
            )
        if child.worktree is not None:
            raise SubagentError(
                f"Agent {child.label} ran in a worktree that was merged and removed; start a new agent instead."
            )
        child.inbox.append(message)
        child.error = ""
        child.status = "queued"
        self.start(child)
        return (
            f"Agent {child.label} had {'finished' if child.report else 'stopped'}; it resumed in the background "
            f"with your message. Read its reply with TaskOutput(task_id={child.id!r})."
        )

    async def stop(self, ref: str) -> Child:
        """TaskStop for an agent: cancel it and wait until it has settled."""
        child = self.get(ref)
        if not child.active or child.runner is None:
            raise SubagentError(f"Agent {child.label} is not running in the background ({child.status}).")
        child.runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await child.runner
        return child

    async def close(self) -> None:
        """Cancel background children and remove their worktrees and the parent's own (its changes saved
        as a patch under `.git/claw-patches/`)."""
        runners = [c.runner for c in self.children.values() if c.runner is not None and not c.runner.done()]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        if self.worktree is not None:
            from claw_tui.engine import worktrees

            wt, self.worktree = self.worktree, None
            with contextlib.suppress(Exception):  # closing is best effort; the work is saved first
                changes = worktrees.worktree_changes(wt)
                if changes:
                    worktrees.save_conflicts(wt, changes)  # nothing the agent did there is lost
            worktrees.remove_worktree(wt)

    # --- worktrees ----------------------------------------------------------------------

    def _drop_worktree(self, child: Child) -> None:
        from claw_tui.engine.worktrees import remove_worktree

        assert child.worktree is not None
        with contextlib.suppress(Exception):
            remove_worktree(child.worktree)

    async def _finish_worktree(self, child: Child, emit: Emit | None, *, keep_changes: bool) -> str:
        from claw_tui.engine import worktrees

        wt = child.worktree
        assert wt is not None
        try:
            changes = worktrees.worktree_changes(wt)
            if not changes:
                return f"The agent changed no files (worktree {wt.branch} removed)."
            if not keep_changes:
                patch, _ = worktrees.save_conflicts(wt, changes)
                return f"The agent's changes to {_names(changes)} were not applied; they are saved in {patch}."
            async with self._merge_lock:
                return await self.merge(wt, changes, call_id=child.id, label=child.label, emit=emit)
        finally:
            self._drop_worktree(child)

    async def merge(
        self,
        wt: Worktree,
        changes: builtins.list[WorktreeChange],
        *,
        call_id: str,
        label: str,
        emit: Emit | None,
        tool_name: str = "Agent",
    ) -> str:
        """Bring a worktree's changes to the main tree through the parent's permissions and approver.

        Files the main tree changed since the base are conflicts: never written, kept as a patch
        and as whole files, and named in the returned note.
        """
        from claw_tui.engine import worktrees

        plan = worktrees.plan_merge(wt, changes)
        texts, raws = _as_file_changes(wt, plan.clean)
        notes: list[str] = []
        denied: list[WorktreeChange] = []
        verdict, reason = self._merge_decision(wt, plan.clean)
        if plan.clean and verdict == "ask":
            await self._deliver(ev.PermissionRequested(call_id=call_id, name=tool_name, reason=reason), emit)
            request = ApprovalRequest(
                call_id=call_id,
                tool_name=tool_name,
                input={"worktree": wt.branch, "files": [c.rel for c in plan.clean]},
                summary=f"Apply the changes of agent {label} to {_names(plan.clean)}",
                reason=reason,
                changes=texts,
                cwd=str(wt.repo_root),
            )
            answer = await self.parent.approver.decide(request)
            verdict, reason = answer.behavior, f"user ({reason})"
            if answer.behavior == "allow" and answer.changes is not None:
                texts = answer.changes
            if answer.note:
                notes.append(f"The user says: {answer.note}")
        if plan.clean:
            await self._deliver(
                ev.PermissionDecided(
                    call_id=call_id, behavior="deny" if verdict == "deny" else "allow", decided_by=reason
                ),
                emit,
            )
        approved: list[FileChange | WorktreeChange] = [*texts, *raws]
        if verdict == "deny":
            denied, approved = list(plan.clean), []
        applied, late = await self._apply(wt, approved, plan.clean, call_id, emit)
        conflicts = plan.conflicts + late
        if applied:
            notes.insert(0, f"Applied the agent's changes to the main tree: {', '.join(applied)}.")
        if denied or conflicts:
            patch, folder = worktrees.save_conflicts(wt, denied + conflicts)
            where = f"saved whole under {folder} and as a patch in {patch}"
            if denied:
                notes.append(f"Applying the changes to {_names(denied)} was denied ({reason}); they are {where}.")
            if conflicts:
                notes.append(
                    f"CONFLICT: {_names(conflicts)} changed in the main tree since the agent started (another "
                    "agent or the user wrote it), so the agent's version was not applied. The main tree keeps "
                    f"its version; the agent's version is {where} (against the agent's starting point). "
                    "Compare them and merge by hand."
                )
        return "\n".join(notes)

    def _merge_decision(self, wt: Worktree, changes: builtins.list[WorktreeChange]) -> tuple[str, str]:
        """What the parent's rules say about writing these files, as if Write wrote each one."""
        from claw_tui.tools.files import Write, WriteInput

        tool, ctx = Write(), self.parent.ctx
        decisions = [
            self.parent.permissions.decide(
                tool, WriteInput(file_path=str(wt.main_path(c.rel)), content=""), ctx, sandboxed=False
            )
            for c in changes
        ]
        for behavior in ("deny", "ask"):
            hit = next((d for d in decisions if d.behavior == behavior), None)
            if hit is not None:
                return behavior, hit.reason
        return "allow", decisions[0].reason if decisions else "nothing to write"

    async def _apply(
        self,
        wt: Worktree,
        approved: builtins.list[FileChange | WorktreeChange],
        clean: builtins.list[WorktreeChange],
        call_id: str,
        emit: Emit | None,
    ) -> tuple[builtins.list[str], builtins.list[WorktreeChange]]:
        """Write what was approved; a file that changed while the user looked is a conflict."""
        from claw_tui.tools.textfiles import write_change

        by_path = {wt.main_path(c.rel): c for c in clean}
        ctx = self.parent.ctx
        applied: list[str] = []
        late: list[WorktreeChange] = []
        for item in approved:
            if isinstance(item, FileChange):
                source = by_path.get(item.path)
                try:
                    write_change(item, ctx)
                except ToolError:
                    if source is not None:
                        late.append(source)
                    continue
                before, after = item.before, item.after
                rel = source.rel if source is not None else str(item.path)
            else:
                target = wt.main_path(item.rel)
                current = target.read_bytes() if target.is_file() else None
                if current != item.base:
                    late.append(item)
                    continue
                if ctx.before_write is not None:
                    ctx.before_write(target, current)
                if item.after is None:
                    target.unlink(missing_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(item.after)
                before, after = None, "(binary or deleted file)"
                rel = item.rel
            applied.append(rel)
            changed = ev.FileChanged(call_id=call_id, path=rel, before=before, after=after)
            self.parent.record_event(changed)
            await self._deliver(changed, emit)
        return applied, late

    # --- the parent's own worktree (EnterWorktree / ExitWorktree) -----------------------

    def enter_worktree(self, name: str | None = None) -> Worktree:
        """Move the parent agent into a new worktree; its edits stay there until ExitWorktree."""
        if self.worktree is not None:
            raise SubagentError(f"Already working in worktree {self.worktree.branch} ({self.worktree.path}).")
        wt = self._new_worktree(name or new_id("wt"))
        parent = self.parent
        self._home = (parent.cwd, list(parent.ctx.roots), parent.permissions)
        cwd, roots, permissions = isolated_workspace(wt, parent)
        self._move(cwd, roots, permissions)
        self.worktree = wt
        return wt

    async def exit_worktree(self, action: str, *, discard_changes: bool, call_id: str, emit: Emit | None) -> str:
        """Leave the worktree: apply its changes (through approval), keep it, or remove it."""
        from claw_tui.engine import worktrees

        wt = self.worktree
        if wt is None or self._home is None:
            raise SubagentError("Not in a worktree; EnterWorktree first.")
        changes = worktrees.worktree_changes(wt)
        if action == "remove" and changes and not discard_changes:
            raise SubagentError(
                f"Worktree {wt.branch} has changes to {_names(changes)}. Use action 'apply' to bring them to the "
                "main tree, or set discard_changes to true to throw them away."
            )
        cwd, roots, permissions = self._home
        self._move(cwd, roots, permissions)
        self.worktree, self._home = None, None
        if action == "keep":
            return f"Left worktree {wt.path} (branch {wt.branch}) as it is; back in {cwd}."
        note = f"Discarded the changes to {_names(changes)}." if changes and action == "remove" else ""
        if action == "apply" and changes:
            async with self._merge_lock:
                note = await self.merge(
                    wt, changes, call_id=call_id, label=f"worktree {wt.branch}", emit=emit, tool_name="ExitWorktree"
                )
        elif action == "apply":
            note = "The worktree had no changes."
        worktrees.remove_worktree(wt)
        return f"Left and removed worktree {wt.branch}; back in {cwd}.\n{note}".strip()

    def _move(self, cwd: Path, roots: builtins.list[Path], permissions: Any) -> None:
        parent = self.parent
        parent.cwd = cwd
        parent.ctx.cwd = cwd
        parent.ctx.roots = roots
        parent.permissions = permissions
        parent.ctx.services.permissions = permissions
        shell = parent.ctx.services.shell
        if shell is not None and hasattr(shell, "home"):
            shell.home = shell.cwd = cwd


# --- helpers ------------------------------------------------------------------------------


class IsolatedPermissions(PermissionEngine):
    """The parent's rules and mode over a worktree's roots.

    Edits inside the worktree are allowed where the parent's engine would ask: they reach the
    main tree only through the merge, which asks then. Deny rules and plan mode still deny.
    """

    def __init__(self, parent: PermissionEngine, worktree: Worktree, roots: list[Path]) -> None:
        self._parent = parent
        self._worktree = worktree
        super().__init__(parent.mode, parent.rules_for_display(), roots, guard=parent.guard)

    @property  # type: ignore[override]  # the parent's mode, which Shift+Tab and plan mode change
    def mode(self) -> str:
        return self._parent.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self._parent.mode = value

    def decide(self, tool: Tool, input: BaseModel, ctx: ToolContext, *, sandboxed: bool) -> Decision:
        decision = super().decide(tool, input, ctx, sandboxed=sandboxed)
        if decision.behavior == "ask" and isinstance(tool, FileEditTool):
            root = self._worktree.path.resolve()
            paths = [Path(p).resolve() for p in tool.touched_paths(input, ctx)]
            if paths and all(p.is_relative_to(root) for p in paths):
                return Decision(
                    "allow", f"isolated worktree: edits stay on {self._worktree.branch} until they are merged"
                )
        return decision


def isolated_workspace(wt: Worktree, parent: Agent) -> tuple[Path, list[Path], IsolatedPermissions]:
    """cwd, roots and permissions for work in `wt`: the worktree replaces the main tree's root."""
    main = wt.repo_root
    others = [r for r in parent.ctx.roots if not (r == main or r.is_relative_to(main) or main.is_relative_to(r))]
    roots = [wt.path, *others]
    return wt.cwd, roots, IsolatedPermissions(parent.permissions, wt, roots)


def resolve_model(requested: str | None, parent_model: str) -> str:
    """A model for a child: an id as given, an alias on the parent's provider, or the parent's."""
    if not requested or requested == "inherit":
        return parent_model
    from claw_tui.providers import catalog
    from claw_tui.providers.registry import parse_model_id

    full = catalog.family_aliases().get(requested.strip().lower())
    if full is None:
        return requested
    if parse_model_id(parent_model)[0] != "anthropic":
        return parent_model  # the aliases name Claude models; another provider keeps its own
    return full


def _last_text(agent: Any) -> str:
    for message in reversed(agent.transcript):
        if message.role == "assistant" and message.text.strip():
            return message.text.strip()
    return ""


def _names(changes: list[Any]) -> str:
    names = [c.rel for c in changes]
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _as_file_changes(wt: Worktree, changes: list[WorktreeChange]) -> tuple[list[FileChange], list[WorktreeChange]]:
    """Text files as FileChanges for the diff pane; binary files and deletions stay raw."""
    from claw_tui.tools.textfiles import BinaryFileError, decode

    texts: list[FileChange] = []
    raws: list[WorktreeChange] = []
    for change in changes:
        if change.after is None:
            raws.append(change)
            continue
        try:
            before = decode(change.base)[0] if change.base is not None else None
            after = decode(change.after)[0]
        except BinaryFileError:
            raws.append(change)
            continue
        texts.append(FileChange(path=wt.main_path(change.rel), before=before, after=after))
    return texts, raws

