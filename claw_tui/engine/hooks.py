"""User hooks: shell commands run around tool use and turns, with Claude Code's protocol.

Each hook gets the event as JSON on stdin and runs with `bash -c` in the project directory
(`CLAUDE_PROJECT_DIR` and `CLAW_PROJECT_DIR` set). Exit 0 is success, and stdout is read as
a JSON reply when it is JSON (`decision`, `reason`, `continue`, `stopReason`, `systemMessage`,
`hookSpecificOutput`); exit 2 blocks with stderr as the reason; any other exit is an error
shown to the user that blocks nothing. A hook that outlives its timeout is killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claw_tui.config import HookCommand, HookMatcher

# Events where exit code 2 (or "decision": "block") stops something; elsewhere it is only shown.
_BLOCKING_EVENTS = {"PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "PreCompact"}
# Events whose plain (non-JSON) stdout on success is added to the model's context.
_CONTEXT_FROM_STDOUT = {"UserPromptSubmit", "SessionStart"}
_MAX_TEXT = 10_000


@dataclass
class HookOutcome:
    block: bool = False
    reason: str = ""
    messages: list[str] = field(default_factory=list)  # for the user, not the model
    updated_input: dict[str, Any] | None = None
    permission_decision: str | None = None  # "allow" | "deny" | "ask"
    additional_context: str = ""


_DECISION_RANK = {"allow": 1, "ask": 2, "deny": 3}


class HookRunner:
    def __init__(self, hooks: dict[str, list[HookMatcher]], cwd: Path, session_id: str) -> None:
        self.hooks = hooks
        self.cwd = cwd
        self.session_id = session_id

    # --- events -----------------------------------------------------------------------

    async def pre_tool_use(self, tool_name: str, tool_input: dict[str, Any], call_id: str) -> HookOutcome:
        return await self._run(
            "PreToolUse", tool_name, {"tool_name": tool_name, "tool_input": tool_input, "tool_use_id": call_id}
        )

    async def post_tool_use(
        self, tool_name: str, tool_input: dict[str, Any], output: str, call_id: str
    ) -> HookOutcome:
        payload = {"tool_name": tool_name, "tool_input": tool_input, "tool_response": output, "tool_use_id": call_id}
        return await self._run("PostToolUse", tool_name, payload)

    async def user_prompt_submit(self, prompt: str) -> HookOutcome:
        return await self._run("UserPromptSubmit", None, {"prompt": prompt})

    async def stop(self, stop_hook_active: bool) -> HookOutcome:
        return await self._run("Stop", None, {"stop_hook_active": stop_hook_active})

    async def session_start(self, source: str) -> HookOutcome:
        return await self._run("SessionStart", source, {"source": source})

    async def session_end(self, reason: str) -> HookOutcome:
        return await self._run("SessionEnd", reason, {"reason": reason})

    async def pre_compact(self, trigger: str, instructions: str) -> HookOutcome:
        return await self._run("PreCompact", trigger, {"trigger": trigger, "custom_instructions": instructions})

    async def notification(self, message: str) -> HookOutcome:
        return await self._run("Notification", None, {"message": message})

    # --- running ----------------------------------------------------------------------

    def _commands(self, event: str, subject: str | None) -> list[HookCommand]:
        found: dict[str, HookCommand] = {}  # identical commands run once
        for matcher in self.hooks.get(event, []):
            if subject is None or _matches(matcher.matcher, subject):
                for hook in matcher.hooks:
                    found.setdefault(hook.command, hook)
        return list(found.values())

    async def _run(self, event: str, subject: str | None, fields: dict[str, Any]) -> HookOutcome:
        commands = self._commands(event, subject)
        outcome = HookOutcome()
        if not commands:
            return outcome
        payload = {
            "session_id": self.session_id,
            "transcript_path": "",
            "cwd": str(self.cwd),
            "hook_event_name": event,
            **fields,
        }
        data = json.dumps(payload).encode()
        results = await asyncio.gather(*(self._run_one(hook, data) for hook in commands))
        reasons: list[str] = []
        contexts: list[str] = []
        for hook, (code, stdout, stderr) in zip(commands, results, strict=True):
            label = f"{event} hook `{_short(hook.command)}`"
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
                self._read_reply(event, stdout, outcome, reasons, contexts)
        outcome.reason = "\n".join(r for r in reasons if r)
        outcome.additional_context = "\n".join(c for c in contexts if c)
        return outcome

    def _read_reply(
        self, event: str, stdout: str, outcome: HookOutcome, reasons: list[str], contexts: list[str]
    ) -> None:
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
        if event == "Stop":
            # For Stop, "block" means: do not stop, keep working on `reason`; continue=false lets it stop.
            if decision == "block" and reply.get("continue", True) is not False:
                outcome.block = True
                reasons.append(reason or "A Stop hook asked to keep going.")
        elif reply.get("continue") is False:
            outcome.block = True
            reasons.append(str(reply.get("stopReason") or reason or "A hook stopped this."))
        elif decision == "block" and event in _BLOCKING_EVENTS:
            outcome.block = True
            reasons.append(reason or "Blocked by a hook.")
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
        if event == "PreToolUse" and isinstance(specific.get("updatedInput"), dict):
            outcome.updated_input = specific["updatedInput"]
        if isinstance(specific.get("additionalContext"), str):
            contexts.append(specific["additionalContext"])

    async def _run_one(self, hook: HookCommand, data: bytes) -> tuple[int | None, str, str]:
        """(exit code or None on timeout, stdout, stderr)."""
        env = {**os.environ, "CLAUDE_PROJECT_DIR": str(self.cwd), "CLAW_PROJECT_DIR": str(self.cwd)}
        try:
            proc = await asyncio.create_subprocess_exec(
                "bash",
                "-c",
                hook.command,
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


def _matches(matcher: str, subject: str) -> bool:
    """Claude Code's matcher: "" or "*" is everything, otherwise a regex on the whole name."""
    if matcher in ("", "*"):
        return True
    try:
        return re.fullmatch(matcher, subject) is not None
    except re.error:
        return matcher == subject


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
