"""Running the model's attacks through a real turn: the agent loop and SDK against the fake model
server, with real files, bash, git and bubblewrap (issue 11's adversarial tests)."""

from __future__ import annotations

from pathlib import Path

from engine.agent_harness import ScriptedApprover, make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.core.transcript import ToolResultBlock

MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
SANDBOXED = {"sandbox": {"enabled": True, "network": False}}


async def turn(fake_model, project: Path, *calls: ToolCall, **agent_args):
    """One turn in which the model makes `calls`, then ends; returns (agent, events, approver).
    The mode is `default` and every question is answered no, unless the test says otherwise."""
    approver = agent_args.setdefault("approver", ScriptedApprover())
    agent_args.setdefault("mode", "default")
    fake_model.script(Reply(parts=list(calls)), Reply(parts=[Text("done")]))
    agent = make_agent(project, fake_model.base_url, **agent_args)
    try:
        events = await run(agent, "go")
    finally:
        await agent.aclose()
    return agent, events, approver


def results(agent) -> list[ToolResultBlock]:
    """The tool results in the order of the calls."""
    return [b for m in agent.transcript for b in m.content if isinstance(b, ToolResultBlock)]


def decisions(events) -> list[tuple[str, str]]:
    return [(e.behavior, e.decided_by) for e in of_type(events, ev.PermissionDecided)]


def sent_to_model(fake_model) -> str:
    """Everything the model received, across every request of the test."""
    return "\n".join(r.body.decode("utf-8", "replace") for r in fake_model.requests)


def bash(command: str) -> ToolCall:
    return ToolCall("Bash", {"command": command})
