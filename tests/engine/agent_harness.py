"""Building an Agent for engine tests: real providers over HTTP to the fake model server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pydantic import BaseModel

from claw_tui.config import load_config
from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.engine.agent import Agent
from claw_tui.tools.base import Tool, ToolContext, ToolKind, ToolResult


class Probe(BaseModel):
    label: str
    seconds: float = 0.0


class Timeline:
    """Start and end times of probe tool runs, to prove concurrency or order."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[float, float]] = {}
        self.runs: list[str] = []


class ProbeRead(Tool):
    name = "ProbeRead"
    description = "Test tool: a read-only probe that sleeps."
    Input = Probe
    kind = ToolKind.READ
    concurrent_safe = True

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    async def run(self, input: Probe, ctx: ToolContext) -> ToolResult:
        start = time.monotonic()
        self.timeline.runs.append(input.label)
        await asyncio.sleep(input.seconds)
        self.timeline.spans[input.label] = (start, time.monotonic())
        return ToolResult.text(f"probe {input.label} done")


class ProbeWrite(ProbeRead):
    name = "ProbeWrite"
    description = "Test tool: a probe that counts as a write."
    kind = ToolKind.WRITE
    concurrent_safe = False


class ScriptedApprover:
    def __init__(self, *answers: ApprovalResponse) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else ApprovalResponse(behavior="deny", note="no more answers")


def make_agent(
    cwd: Path,
    base_url: str,
    *,
    model: str = "anthropic/claude-sonnet-4-5",
    mode: str = "bypassPermissions",
    approver=None,
    extra_tools: list[Tool] | None = None,
    settings: dict | None = None,
    rules: list[tuple[str, str]] | None = None,
    store=None,
) -> Agent:
    """An agent with the built-in tools plus any test tools, talking to the fake server."""
    import os

    os.environ["ANTHROPIC_API_KEY"] = "test-key"
    os.environ["OPENAI_API_KEY"] = "test-key"
    os.environ["ANTHROPIC_BASE_URL"] = base_url
    os.environ["OPENAI_BASE_URL"] = base_url + "/v1"
    os.environ["CLAW_LOCAL_BASE_URL"] = base_url + "/v1"
    flags = {"retry_base_delay": 0.01, "stream_idle_timeout": 2.0, "sandbox": {"enabled": False}}
    flags.update(settings or {})
    config = load_config(cwd, flags=flags)
    agent = Agent.create(
        cwd, approver=approver, model=model, permission_mode=mode, config=config, extra_rules=rules, store=store
    )
    for tool in extra_tools or []:
        agent.tools[tool.name] = tool
    return agent


async def run(agent: Agent, prompt: str) -> list[ev.EngineEvent]:
    return [e async for e in agent.run_turn(prompt)]


def of_type(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]
