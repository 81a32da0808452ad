"""User hooks: shell commands run around tool use and turns, with Claude Code's protocol.

Each hook gets the event as JSON on stdin — `session_id`, `transcript_path` (a JSONL file in
Claude Code's transcript shape, see transcript_file.py), `cwd`, `permission_mode`,
`hook_event_name`, then the event's own fields — and runs with `bash -c` in the project directory
(`CLAUDE_PROJECT_DIR` and `CLAW_PROJECT_DIR` set). Exit 0 is success, and stdout is read as a
JSON reply when it is JSON (`continue`, `stopReason`, `suppressOutput`, `systemMessage`,
`decision`, `reason`, `hookSpecificOutput`); exit 2 blocks where the event can be blocked, with
stderr as the reason; any other exit is an error shown to the user that blocks nothing. A hook
that outlives its timeout (600 s unless set) is killed; a hook marked `"async": true` runs in the
background and decides nothing.

A matcher is read as Claude Code reads it: empty or `*` matches everything; letters, digits, `_`
and `|` only is an exact name or a `|` list of names (`Edit|Write`); anything else is a regular
expression searched in the name (`mcp__github__.*`, `^Notebook`). Tool events match the tool's
name, SessionStart its source, SessionEnd its reason, the compaction events their trigger,
Notification its type, the subagent events the agent type, StopFailure the error type and
UserPromptExpansion the command; UserPromptSubmit and Stop run every hook they have.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claw_tui.config import HookCommand, HookMatcher

# The events claw fires; a configured event outside this list is named at start (compat.py).
EVENTS = (
    "SessionStart", "SessionEnd", "UserPromptSubmit", "UserPromptExpansion", "PreToolUse", "PermissionRequest",
    "PostToolUse", "PostToolUseFailure", "Notification", "Stop", "StopFailure", "SubagentStart", "SubagentStop",
    "PreCompact", "PostCompact",
)
# Events exit code 2 (or "decision": "block") stops something; elsewhere stderr is only shown.
_BLOCKING_EVENTS = {
    "PreToolUse", "PermissionRequest", "PostToolUse", "UserPromptSubmit", "UserPromptExpansion", "Stop",
    "SubagentStop", "PreCompact",
}
# Events whose plain (non-JSON) stdout on success is added to the model's context.
_CONTEXT_FROM_STDOUT = {"UserPromptSubmit", "UserPromptExpansion", "SessionStart"}
_MAX_TEXT = 10_000
_EXACT = re.compile(r"[A-Za-z0-9_|]+")
_DECISION_RANK = {"allow": 1, "ask": 2, "deny": 3}


@dataclass
class HookOutcome:
    block: bool = False
    reason: str = ""  # why it blocked: for the model or the user, depending on the event
    messages: list[str] = field(default_factory=list)  # for the user, not the model
    updated_input: dict[str, Any] | None = None
    permission_decision: str | None = None  # PreToolUse: "allow" | "deny" | "ask"
    additional_context: str = ""
    stop: bool = False  # "continue": false: the whole turn ends once this step is done
    stop_reason: str = ""  # shown to the user when it does
    # PermissionRequest: {"behavior": "allow"|"deny", "updatedInput": …, "message": …, "interrupt": …}
    permission_request: dict[str, Any] | None = None
    updated_output: Any = None  # PostToolUse: replaces what the model gets of the tool's result


def matches(matcher: str | None, subject: str) -> bool:
    """Claude Code's matcher rules (see the module's docstring)."""
    if matcher in (None, "", "*"):
        return True
    assert matcher is not None
    if _EXACT.fullmatch(matcher):
        return subject in matcher.split("|")
    try:
        return re.search(matcher, subject) is not None
    except re.error:
        return matcher == subject


class HookRunner:
    """The session's hooks. `base` gives the fields every event carries; a subagent's runner
    (`for_subagent`) adds its `agent_id` and `agent_type`."""

    def __init__(
        self,
        hooks: dict[str, list[HookMatcher]],
        cwd: Path,
        session_id: str = "",
        *,
        env: dict[str, str] | None = None,
        base: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.hooks = hooks
        self.cwd = cwd
        self.env = env or {}  # settings `env`, on top of the process environment
        self.base = base or (lambda: {"session_id": session_id, "transcript_path": "", "cwd": str(cwd),
                                      "permission_mode": "default"})
        self.agent_id: str | None = None
        self.agent_type: str | None = None
        self.agent_transcript = ""  # a subagent's own transcript file, for its SubagentStop
        self._background: set[asyncio.Task[Any]] = set()  # "async": true hooks

    def for_subagent(self, agent_id: str, agent_type: str) -> HookRunner:
        """The runner a subagent uses: the session's hooks and fields, plus the agent's own."""
        child = HookRunner(self.hooks, self.cwd, env=self.env, base=self.base)
        child.agent_id, child.agent_type = agent_id, agent_type
        child._background = self._background
        return child

    def configured(self, event: str) -> bool:
        return bool(self.hooks.get(event))

    async def drain(self, timeout: float = 10) -> None:
        """Let background ("async") hooks finish, up to `timeout` seconds."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)

    # --- events -----------------------------------------------------------------------

    def _agent_fields(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "agent_type": self.agent_type} if self.agent_id else {}

    async def pre_tool_use(self, tool_name: str, tool_input: dict[str, Any], call_id: str) -> HookOutcome:
        fields = {"tool_name": tool_name, "tool_input": tool_input, "tool_use_id": call_id, **self._agent_fields()}
        return await self._run("PreToolUse", tool_name, fields)

    async def permission_request(
        self, tool_name: str, tool_input: dict[str, Any], suggestions: list[dict[str, Any]]
    ) -> HookOutcome:
        fields = {"tool_name": tool_name, "tool_input": tool_input, "permission_suggestions": suggestions,
                  **self._agent_fields()}
        return await self._run("PermissionRequest", tool_name, fields)

    async def post_tool_use(
        self, tool_name: str, tool_input: dict[str, Any], tool_response: Any, call_id: str
    ) -> HookOutcome:
        fields = {"tool_name": tool_name, "tool_input": tool_input, "tool_response": tool_response,
                  "tool_use_id": call_id, **self._agent_fields()}
        return await self._run("PostToolUse", tool_name, fields)

    async def post_tool_use_failure(
        self, tool_name: str, tool_input: dict[str, Any], error: str, call_id: str, *, interrupted: bool = False
    ) -> HookOutcome:
        fields = {"tool_name": tool_name, "tool_input": tool_input, "tool_use_id": call_id, "error": error,
                  "is_interrupt": interrupted, **self._agent_fields()}
        return await self._run("PostToolUseFailure", tool_name, fields)

    async def user_prompt_submit(self, prompt: str) -> HookOutcome:
        return await self._run("UserPromptSubmit", None, {"prompt": prompt})

    async def user_prompt_expansion(
        self, *, expansion_type: str, command_name: str, command_args: str, command_source: str, prompt: str
    ) -> HookOutcome:
        fields = {"expansion_type": expansion_type, "command_name": command_name, "command_args": command_args,
                  "command_source": command_source, "prompt": prompt}
        return await self._run("UserPromptExpansion", command_name, fields)

    async def stop(self, stop_hook_active: bool, last_message: str = "") -> HookOutcome:
        fields = {"stop_hook_active": stop_hook_active, "last_assistant_message": last_message}
        if self.agent_id is None:
            return await self._run("Stop", None, fields)
        fields.update(self._agent_fields(), agent_transcript_path=self.agent_transcript)
        return await self._run("SubagentStop", self.agent_type, fields)

    async def stop_failure(self, error: str, details: str, last_message: str = "") -> HookOutcome:
        fields = {"error": error, "error_details": details, "last_assistant_message": last_message}
        return await self._run("StopFailure", error, fields)

    async def subagent_start(self) -> HookOutcome:
        return await self._run("SubagentStart", self.agent_type, self._agent_fields())

    async def session_start(self, source: str, model: str = "") -> HookOutcome:
        return await self._run("SessionStart", source, {"source": source, "model": model})

    async def session_end(self, reason: str, *, base: dict[str, Any] | None = None) -> HookOutcome:
        return await self._run("SessionEnd", reason, {"reason": reason}, base=base)

    async def pre_compact(self, trigger: str, instructions: str) -> HookOutcome:
        return await self._run("PreCompact", trigger, {"trigger": trigger, "custom_instructions": instructions})

    async def post_compact(self, trigger: str, summary: str) -> HookOutcome:
        return await self._run("PostCompact", trigger, {"trigger": trigger, "compact_summary": summary})

    async def notification(self, message: str, kind: str = "permission_prompt", title: str = "") -> HookOutcome:
        fields = {"message": message, "notification_type": kind, **({"title": title} if title else {})}
        return await self._run("Notification", kind, fields)

    # --- running ----------------------------------------------------------------------

    def _commands(self, event: str, subject: str | None) -> list[HookCommand]:
        found: dict[str, HookCommand] = {}  # identical commands run once
        for matcher in self.hooks.get(event, []):
            if subject is None or matches(matcher.matcher, subject):
                for hook in matcher.hooks:
                    if hook.type == "command" and hook.command:  # other types are named at start
                        found.setdefault(hook.command, hook)
        return list(found.values())

    async def _run(
        self, event: str, subject: str | None, fields: dict[str, Any], *, base: dict[str, Any] | None = None
    ) -> HookOutcome:
        commands = self._commands(event, subject)
        outcome = HookOutcome()
        if not commands:
            return outcome
        payload = {**(base if base is not None else self.base()), "hook_event_name": event, **fields}
        data = json.dumps(payload, default=str).encode()
        waited = [hook for hook in commands if not hook.run_async]
        for hook in commands:
            if hook.run_async:
                task = asyncio.ensure_future(self._run_one(hook, data))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        results = await asyncio.gather(*(self._run_one(hook, data) for hook in waited))
        reasons: list[str] = []
        contexts: list[str] = []
        for hook, (code, stdout, stderr) in zip(waited, results, strict=True):
            label = f"{event} hook `{_short(hook.command or '')}`"
            if code is None:
                outcome.messages.append(f"{label} timed out after {hook.timeout:g} s and was stopped.")
            elif code == 2:
                reason = stderr.strip() or f"{label} exited with status 2"
                if event in _BLOCKING_EVENTS:
                    outcome.block = True
                    reasons.append(reason)
                else:
                    outcome.messages.append(f"{label}: {reason}")
            elif code != 0:
                detail = stderr.strip() or stdout.strip() or "no output"
                outcome.messages.append(f"{label} failed (exit {code}): {detail}")
            else:
                _read_reply(event, stdout, outcome, reasons, contexts)
        outcome.reason = "\n".join(r for r in reasons if r)
        outcome.additional_context = "\n".join(c for c in contexts if c)
        return outcome

    async def _run_one(self, hook: HookCommand, data: bytes) -> tuple[int | None, str, str]:
        """(exit code or None on timeout, stdout, stderr)."""
        env = {**os.environ, **self.env, "CLAUDE_PROJECT_DIR": str(self.cwd), "CLAW_PROJECT_DIR": str(self.cwd)}
        try:
            proc = await asyncio.create_subprocess_exec(
                "bash",
                "-c",
                hook.command or "",
                cwd=self.cwd,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills all it started
            )
        except OSError as exc:
            return 127, "", f"could not start the hook: {exc}"
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), timeout=hook.timeout)
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            return None, "", ""
        except asyncio.CancelledError:
            _kill_group(proc.pid)
            raise
        return proc.returncode, _text(out), _text(err)


def _read_reply(event: str, stdout: str, outcome: HookOutcome, reasons: list[str], contexts: list[str]) -> None:
    """Fold one successful hook's stdout into the outcome."""
    text = stdout.strip()
    reply: Any = None
    if text.startswith("{"):
        try:
            reply = json.loads(text)
        except json.JSONDecodeError:
            reply = None
    if not isinstance(reply, dict):
        if text and event in _CONTEXT_FROM_STDOUT:
            contexts.append(text)
        return
    if isinstance(reply.get("systemMessage"), str):
        outcome.messages.append(reply["systemMessage"])
    reason = str(reply.get("reason") or "")
    decision = reply.get("decision")
    if reply.get("continue") is False:
        # Stops the whole turn, whatever else the reply says; stopReason is for the user.
        outcome.stop = True
        outcome.stop_reason = str(reply.get("stopReason") or reason or f"A {event} hook stopped the turn.")
        if event in ("UserPromptSubmit", "UserPromptExpansion", "PreToolUse", "PreCompact"):
            outcome.block = True
            reasons.append(outcome.stop_reason)
    elif decision == "block" and event in _BLOCKING_EVENTS:
        outcome.block = True
        reasons.append(reason or ("A Stop hook asked to keep going." if "Stop" in event else "Blocked by a hook."))
    if event == "PreToolUse" and decision in ("approve", "allow"):  # the older spelling
        _merge_decision(outcome, "allow")
    specific = reply.get("hookSpecificOutput")
    if not isinstance(specific, dict):
        return
    permission = specific.get("permissionDecision")
    if event == "PreToolUse" and permission in _DECISION_RANK:
        _merge_decision(outcome, permission)
        why = str(specific.get("permissionDecisionReason") or "")
        if permission == "deny":
            outcome.block = True
            reasons.append(why or "Denied by a PreToolUse hook.")
        elif why and permission == "ask":
            outcome.messages.append(why)
    if event in ("PreToolUse", "PermissionRequest") and isinstance(specific.get("updatedInput"), dict):
        outcome.updated_input = specific["updatedInput"]
    if event == "PermissionRequest" and isinstance(specific.get("decision"), dict):
        answer = specific["decision"]
        if answer.get("behavior") in ("allow", "deny") and (
            outcome.permission_request is None or answer["behavior"] == "deny"  # a deny wins
        ):
            outcome.permission_request = answer
    if event == "PostToolUse":
        for key in ("updatedToolOutput", "updatedMCPToolOutput"):
            if key in specific:
                outcome.updated_output = specific[key]
    if isinstance(specific.get("additionalContext"), str):
        contexts.append(specific["additionalContext"])


def _merge_decision(outcome: HookOutcome, decision: str) -> None:
    """Several hooks may decide: deny beats ask beats allow."""
    current = outcome.permission_decision
    if current is None or _DECISION_RANK[decision] > _DECISION_RANK[current]:
        outcome.permission_decision = decision


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + f"\n[… {len(text) - _MAX_TEXT} characters cut …]"


def _short(command: str) -> str:
    line = command.strip().splitlines()[0] if command.strip() else command
    return line if len(line) <= 60 else line[:57] + "…"
