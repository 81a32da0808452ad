"""One tool call, step by step: validate → PreToolUse hooks → permission (PermissionRequest hooks,
then the user) → run or apply → PostToolUse (or PostToolUseFailure) hooks → diagnostics → memory
files of the directories it touched; and a response's calls, batched.

What a call needs of the agent that makes it is the `CallHost` protocol below, so this module
never imports the agent. Each step either hands its result to the next or ends the call with
`_Ended` (a result for the model and a status for the front ends).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncGenerator, Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalRequest, Approver
from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import TextBlock, ToolResultBlock, ToolUseBlock
from claw_tui.tools.base import FileEditTool, Tool, ToolContext, ToolError, ToolResult

if TYPE_CHECKING:
    from claw_tui.core.redaction import Redactor
    from claw_tui.engine.hooks import HookRunner
    from claw_tui.engine.permissions import PermissionEngine

# Sent back to the model instead of a result that would not fit a context window.
MAX_RESULT_CHARS = 100_000


class CallHost(Protocol):
    """What a tool call uses of the agent making it."""

    tools: dict[str, Tool[Any]]
    ctx: ToolContext
    permissions: PermissionEngine
    approver: Approver
    hooks: HookRunner | None

    @property
    def cwd(self) -> Path: ...

    def event(self, cls: type[ev.Event], **fields: Any) -> Any: ...

    def record_event(self, event: BaseModel | dict[str, Any]) -> None: ...

    def after_write(self, path: Path) -> None: ...

    def redact(self, result: ToolResult) -> ToolResult: ...

    @property
    def redactor(self) -> Redactor: ...

    def in_background(self, work: Awaitable[Any]) -> None: ...

    def stop_turn(self, reason: str) -> None:
        """A hook said `"continue": false`: end the turn once the running calls are done."""

    def memory_for(self, paths: list[Path]) -> str:
        """Instructions from memory files and rules that apply to `paths` and were not loaded yet."""


async def run_tool_calls(
    host: CallHost, calls: list[ToolUseBlock], incomplete: set[str], results: list[ToolResultBlock]
) -> AsyncGenerator[Any, None]:
    """Run a response's calls: consecutive read-only calls together, the rest in order.

    Yields engine events; each call's result lands in `results` as it finishes, so a cancel
    keeps the results of the calls that ran.
    """
    batches: list[list[ToolUseBlock]] = []
    for call in calls:
        if _parallel(host, call, incomplete) and batches and _parallel(host, batches[-1][0], incomplete):
            batches[-1].append(call)
        else:
            batches.append([call])
    for batch in batches:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        tasks = [asyncio.create_task(ToolCall(host, call, call.id in incomplete, queue, results).execute())
                 for call in batch]
        pending = len(tasks)
        try:
            while pending:
                item = await queue.get()
                if item is None:
                    pending -= 1
                else:
                    yield item
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _parallel(host: CallHost, call: ToolUseBlock, incomplete: set[str]) -> bool:
    tool = host.tools.get(call.name)
    return tool is not None and tool.concurrent_safe and call.id not in incomplete


class _Ended(Exception):
    """A step ended the call early: this result goes to the model, with this status."""

    def __init__(self, result: ToolResult, status: ev.ToolStatus) -> None:
        self.result, self.status = result, status

    @classmethod
    def error(cls, text: str, status: ev.ToolStatus = "failed") -> _Ended:
        return cls(ToolResult.text(text, is_error=True), status)


@dataclasses.dataclass
class _Permission:
    behavior: str
    decided_by: str
    note: str  # the user's words for the model, with a denial or a partial approval
    changes: list[FileChange]
    narrowed: bool = False  # the user accepted only some of the hunks
    updated_input: dict[str, Any] | None = None  # what the approver or a PermissionRequest hook changed it to


class ToolCall:
    """One call from the model's message to its result, through the steps named above."""

    def __init__(
        self,
        host: CallHost,
        call: ToolUseBlock,
        incomplete: bool,
        queue: asyncio.Queue[Any],
        results: list[ToolResultBlock],
    ) -> None:
        self.host, self.call, self.incomplete = host, call, incomplete
        self._queue, self._results = queue, results
        self._started = time.monotonic()
        self._context = ""  # a PreToolUse hook's additionalContext, for the model with the result

    async def emit(self, cls: type[ev.Event], **fields: Any) -> None:
        await self._queue.put(self.host.event(cls, **fields))

    async def execute(self) -> None:
        """Run the call and put its events, then None, on the queue; its result goes to `results`."""
        call = self.call
        try:
            try:
                result, status = await self._steps()
            except _Ended as ended:
                result, status = ended.result, ended.status
        except asyncio.CancelledError:
            await self.emit(ev.ToolCallFinished, call_id=call.id, name=call.name, status="cancelled",
                            output="Cancelled by the user.", is_error=True, duration_ms=self._elapsed_ms())
            raise
        except Exception as exc:  # noqa: BLE001 - a tool bug must not end the session
            result, status = ToolResult.text(f"{call.name} failed: {type(exc).__name__}: {exc}", is_error=True), "failed"
        await self._finish(result, status)

    def _elapsed_ms(self) -> float:
        return (time.monotonic() - self._started) * 1000

    async def _finish(self, result: ToolResult, status: ev.ToolStatus) -> None:
        self.late_diagnostics(result)
        result = self.host.redact(result)
        text = result.output
        if len(text) > MAX_RESULT_CHARS:
            text = text[:MAX_RESULT_CHARS] + f"\n… [{len(text) - MAX_RESULT_CHARS} characters cut]"
            result = ToolResult.text(text, is_error=result.is_error, **result.metadata)
        await self.emit(
            ev.ToolCallFinished,
            call_id=self.call.id,
            name=self.call.name,
            status=status,
            output=text,
            is_error=result.is_error,
            duration_ms=self._elapsed_ms(),
            metadata=result.metadata,
        )
        self._results.append(
            ToolResultBlock(tool_use_id=self.call.id, content=list(result.content), is_error=result.is_error)
        )
        await self._queue.put(None)

    async def _steps(self) -> tuple[ToolResult, ev.ToolStatus]:
        tool, parsed, raw_input = self.validate()
        parsed, raw_input, hook_decision = await self.pre_hooks(tool, parsed, raw_input)
        ctx = self.call_context()
        await self.emit(ev.ToolCallQueued, call_id=self.call.id, name=self.call.name, input=raw_input,
                        summary=tool.summary(parsed))
        changes: list[FileChange] = []
        if isinstance(tool, FileEditTool):
            try:
                changes = await tool.propose(parsed, ctx)
            except ToolError as exc:
                raise _Ended.error(str(exc)) from None
        permission = await self.permission(tool, parsed, raw_input, ctx, hook_decision, changes)
        if permission.updated_input is not None and permission.updated_input != raw_input:
            parsed = await self.take_updated_input(tool, permission, ctx)
            raw_input = dict(permission.updated_input)
        if (lsp := ctx.services.lsp) is not None:  # the first file of a language starts its server, in the background
            lsp.touch(tool.touched_paths(parsed, ctx))
        await self.emit(ev.ToolCallRunning, call_id=self.call.id)
        result = await self.run(tool, parsed, ctx, permission)
        await self.post_hooks(raw_input, result, permission.changes)
        if self._context:
            result.content.append(TextBlock(text=self._context))
        self.nested_memory(tool, parsed, ctx, result)
        return result, ("failed" if result.is_error else "done")

    # --- the steps ------------------------------------------------------------------------

    def validate(self) -> tuple[Tool[Any], BaseModel, dict[str, Any]]:
        call, tools = self.call, self.host.tools
        if self.incomplete:
            raise _Ended.error(
                "This call was not run: its input did not arrive complete (the reply hit the output "
                "limit). Send it again, smaller if needed."
            )
        offered = tools.get(call.name)
        if offered is None:
            raise _Ended.error(f"Unknown tool {call.name!r}. Available tools: {', '.join(sorted(tools))}")
        tool = offered.loaded()  # a built-in's module loads on its first call
        raw_input = dict(call.input)
        try:
            return tool, tool.Input.model_validate(raw_input), raw_input
        except ValidationError as exc:
            raise _Ended.error(validation_message(call.name, exc)) from None

    async def pre_hooks(
        self, tool: Tool[Any], parsed: BaseModel, raw_input: dict[str, Any]
    ) -> tuple[BaseModel, dict[str, Any], str | None]:
        """PreToolUse hooks may block the call, change its input, or decide its permission."""
        hooks = self.host.hooks
        if hooks is None:
            return parsed, raw_input, None
        outcome = await hooks.pre_tool_use(self.call.name, raw_input, self.call.id)
        for note in outcome.messages:
            await self.emit(ev.Notice, text=note, level="warning")
        if outcome.stop:
            self.host.stop_turn(outcome.stop_reason)
        self._context = outcome.additional_context
        if outcome.block:
            await self.emit(ev.PermissionDecided, call_id=self.call.id, behavior="deny",
                            decided_by="PreToolUse hook")
            raise _Ended.error(f"Blocked by a PreToolUse hook: {outcome.reason}", "denied")
        if outcome.updated_input is not None:
            try:
                parsed = tool.Input.model_validate(outcome.updated_input)
                raw_input = dict(outcome.updated_input)
            except ValidationError as exc:
                raise _Ended.error(validation_message(self.call.name, exc)) from None
        return parsed, raw_input, outcome.permission_decision

    def call_context(self) -> ToolContext:
        """The agent's context with this call's own fields: its id, its output and event streams."""

        scrub = self.host.redactor.stream()

        async def output(text: str) -> None:
            if text := scrub(text):  # redacted as it streams (a private key is held back until it ends)
                await self.emit(ev.ToolCallOutput, call_id=self.call.id, text=text)

        return dataclasses.replace(
            self.host.ctx, call_id=self.call.id, emit_output=output, emit_event=self._queue.put,
            resolved={},  # issue 11: each path resolved once per call, so what is decided is what is opened
        )

    async def permission(
        self,
        tool: Tool[Any],
        parsed: BaseModel,
        raw_input: dict[str, Any],
        ctx: ToolContext,
        hook_decision: str | None,
        changes: list[FileChange],
    ) -> _Permission:
        """The rules' (or mode's) decision, a hook's, or the user's; ends the call when denied."""
        host, call = self.host, self.call
        sandboxed = is_sandboxed(tool, ctx)
        decision = host.permissions.decide(tool, parsed, ctx, sandboxed=sandboxed)
        behavior: str = decision.behavior
        decided_by = decision.reason
        if hook_decision in ("allow", "deny", "ask") and decision.behavior != "deny":
            behavior, decided_by = hook_decision, f"PreToolUse hook ({hook_decision})"
        note, narrowed = "", False
        updated_input: dict[str, Any] | None = None
        if behavior == "ask" and host.hooks is not None and host.hooks.configured("PermissionRequest"):
            behavior, decided_by, note, updated_input = await self.permission_hooks(
                tool, parsed, raw_input, ctx, decided_by
            )
        if behavior == "ask":
            await self.emit(ev.PermissionRequested, call_id=call.id, name=call.name, reason=decided_by)
            suggested = host.permissions.suggest_rule(tool, parsed, ctx)
            request = ApprovalRequest(
                call_id=call.id,
                tool_name=call.name,
                input=raw_input,
                summary=tool.summary(parsed),
                reason=decided_by,
                changes=changes,
                command=raw_input.get("command") if call.name == "Bash" else None,
                cwd=str(ctx.cwd),
                sandboxed=sandboxed if call.name == "Bash" else None,
                suggested_rule=suggested,
                suggested_rule_words=host.permissions.rule_in_words(suggested) if suggested else "",
            )
            if host.hooks is not None:  # e.g. a desktop notification; the prompt does not wait for it
                host.in_background(
                    host.hooks.notification(f"claw needs your permission to use {call.name}", "permission_prompt")
                )
            answer = await host.approver.decide(request)
            behavior, decided_by, note = answer.behavior, f"user ({decided_by})", answer.note
            updated_input = answer.updated_input
            if answer.behavior == "allow" and answer.remember and request.suggested_rule:
                host.permissions.add_rule("allow", request.suggested_rule, "session")
                decided_by = f"user, now allowed for the session by {request.suggested_rule}"
            if answer.changes is not None:
                changes, narrowed = answer.changes, True
        await self.emit(ev.PermissionDecided, call_id=call.id, behavior=behavior, decided_by=decided_by)
        if behavior == "deny":
            if decided_by.startswith("user"):  # as Claude Code tells its models: stop unless told how to go on
                text = f"Permission to use {call.name} was denied by the user; nothing was run or written. " + (
                    f"The user says: {note}" if note else "Stop here and wait for the user to say how to go on.")
            else:
                text = f"Permission to use {call.name} was denied ({decided_by})." + (f" Reason: {note}" if note else "")
            raise _Ended.error(text, "denied")
        return _Permission(behavior, decided_by, note, changes, narrowed, updated_input)

    async def permission_hooks(
        self, tool: Tool[Any], parsed: BaseModel, raw_input: dict[str, Any], ctx: ToolContext, reason: str
    ) -> tuple[str, str, str, dict[str, Any] | None]:
        """PermissionRequest hooks answer in the user's stead: (behavior, decided by, note, changed input)."""
        host = self.host
        assert host.hooks is not None
        rule = host.permissions.suggest_rule(tool, parsed, ctx)
        suggestions = [{"type": "addRules", "rules": [{"toolName": self.call.name, "ruleContent": rule}],
                        "behavior": "allow", "destination": "session"}] if rule else []
        outcome = await host.hooks.permission_request(self.call.name, raw_input, suggestions)
        for message in outcome.messages:
            await self.emit(ev.Notice, text=message, level="warning")
        answer = outcome.permission_request
        if outcome.block:  # exit code 2: a denial with stderr as the reason
            answer = {"behavior": "deny", "message": outcome.reason}
        if answer is None:
            return "ask", reason, "", None
        if answer.get("interrupt") or outcome.stop:
            host.stop_turn(outcome.stop_reason or str(answer.get("message") or "A PermissionRequest hook stopped the turn."))
        updated = answer.get("updatedInput") or outcome.updated_input
        changed = dict(updated) if answer["behavior"] == "allow" and isinstance(updated, dict) else None
        return answer["behavior"], "PermissionRequest hook", str(answer.get("message") or ""), changed

    async def take_updated_input(self, tool: Tool[Any], permission: _Permission, ctx: ToolContext) -> BaseModel:
        """The input the approver gave instead of the model's: validated, and for a write re-proposed."""
        assert permission.updated_input is not None
        try:
            parsed = tool.Input.model_validate(permission.updated_input)
        except ValidationError as exc:
            raise _Ended.error(validation_message(self.call.name, exc)) from None
        if isinstance(tool, FileEditTool):
            try:
                permission.changes = await tool.propose(parsed, ctx)
            except ToolError as exc:
                raise _Ended.error(str(exc)) from None
        return parsed

    async def run(self, tool: Tool[Any], parsed: BaseModel, ctx: ToolContext, permission: _Permission) -> ToolResult:
        try:
            if isinstance(tool, FileEditTool):
                return await self.apply(tool, ctx, permission)
            return await tool.run(parsed, ctx)
        except ToolError as exc:
            return ToolResult.text(str(exc), is_error=True)

    async def apply(self, tool: FileEditTool[Any], ctx: ToolContext, permission: _Permission) -> ToolResult:
        """Write the accepted changes, show each as a FileChanged event, then add diagnostics."""
        host = self.host
        result = await tool.apply(permission.changes, ctx)
        for change in permission.changes:
            host.after_write(change.path)
            changed = host.event(
                ev.FileChanged,
                call_id=self.call.id,
                path=display_path(change.path, host.cwd),
                before=None if change.before is None else host.redactor(change.before),
                after=host.redactor(change.after),
            )
            host.record_event(changed)
            await self._queue.put(changed)
        if permission.note and not result.is_error:
            result.content.append(TextBlock(text=permission.note))
        if permission.narrowed and not result.is_error:
            result.metadata["partly_applied"] = True  # front ends say so: not every hunk was written
        await self.diagnostics(result, permission.changes)
        return result

    async def diagnostics(self, result: ToolResult, changes: list[FileChange]) -> None:
        """The problems the edit introduced, as far as its language server reports them within
        a tenth of a second; the rest come with a later result (`late_diagnostics`)."""
        lsp = self.host.ctx.services.lsp
        if lsp is None or result.is_error:
            return
        try:
            text = await lsp.after_edit([change.path for change in changes], owner=self.host)
        except Exception:  # noqa: BLE001 - diagnostics are a bonus; a language server problem never fails the edit
            return
        if text:
            result.content.append(TextBlock(text=text))

    def late_diagnostics(self, result: ToolResult) -> None:
        """Diagnostics of this agent's earlier edits that arrived since their results went back."""
        lsp = self.host.ctx.services.lsp
        if lsp is not None and (text := lsp.late_diagnostics(owner=self.host)):
            result.content.append(TextBlock(text=text))

    async def post_hooks(self, raw_input: dict[str, Any], result: ToolResult, changes: list[FileChange]) -> None:
        """PostToolUse hooks see Claude Code's `tool_response`, PostToolUseFailure hooks the error; either
        may give the model more to read, and PostToolUse may replace what it reads of the result."""
        hooks = self.host.hooks
        if hooks is None:
            return
        name = self.call.name
        if result.is_error:
            outcome = await hooks.post_tool_use_failure(name, raw_input, result.output, self.call.id)
        else:
            from claw_tui.engine.tool_responses import tool_response

            response = tool_response(name, raw_input, result, changes=changes, duration_ms=self._elapsed_ms())
            outcome = await hooks.post_tool_use(name, raw_input, response, self.call.id)
        for msg in outcome.messages:
            await self.emit(ev.Notice, text=msg, level="warning")
        if outcome.stop:
            self.host.stop_turn(outcome.stop_reason)
        if outcome.updated_output is not None:
            text = outcome.updated_output
            result.content[:] = [TextBlock(text=text if isinstance(text, str) else json.dumps(text))]
        if outcome.block and outcome.reason:
            result.content.append(TextBlock(text=f"PostToolUse hook: {outcome.reason}"))
        if outcome.additional_context:
            result.content.append(TextBlock(text=outcome.additional_context))

    def nested_memory(self, tool: Tool[Any], parsed: BaseModel, ctx: ToolContext, result: ToolResult) -> None:
        """The memory files (CLAUDE.md in a subdirectory) and path-scoped rules that apply to what the
        call touched, added to its result the first time, as Claude Code adds them."""
        if result.is_error:
            return
        try:
            paths = tool.touched_paths(parsed, ctx)
        except (OSError, ValueError, ToolError):
            return
        if paths and (text := self.host.memory_for(paths)):
            result.content.append(TextBlock(text=text))


def is_sandboxed(tool: Tool[Any], ctx: ToolContext) -> bool:
    """Whether this call runs under bubblewrap (only Bash commands do)."""
    if tool.name != "Bash":
        return False
    from claw_tui.tools.sandbox import sandbox_active

    return sandbox_active(ctx)


def validation_message(tool: str, exc: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()[:5]
    )
    return f"Invalid input for {tool}: {problems}. Fix the input and call the tool again."


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


