from __future__ import annotations

import dataclasses

import pytest

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.engine.permissions import PLAN_MODE_REASON, PermissionEngine
from claw_tui.tools.base import ToolContext, ToolError
from claw_tui.tools.files import Write
from claw_tui.tools.plan import EnterPlanMode, ExitPlanMode


class ScriptedApprover:
    """An Approver that answers from a list and keeps every request it saw."""

    def __init__(self, *answers: ApprovalResponse) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        self.requests.append(request)
        return self.answers.pop(0)


@pytest.fixture
def setup(tmp_path):
    def make(mode="acceptEdits", *answers):
        permissions = PermissionEngine(mode, [], [tmp_path])
        approver = ScriptedApprover(*answers)
        ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
        ctx.services.permissions, ctx.services.approver = permissions, approver
        return permissions, approver, ctx

    return make


def per_call(ctx, call_id):
    """What the agent loop hands a tool: a copy of the context with the call's own id."""
    return dataclasses.replace(ctx, call_id=call_id)


async def test_plan_round_trip_restores_the_previous_mode(setup, tmp_path):
    permissions, approver, ctx = setup("acceptEdits", ApprovalResponse(behavior="allow"))
    result = await EnterPlanMode().run(EnterPlanMode.Input(), per_call(ctx, "c1"))
    assert permissions.mode == "plan" and "plan mode" in result.output
    write = Write()
    blocked = permissions.decide(write, write.Input(file_path="a.py", content=""), ctx, sandboxed=False)
    assert (blocked.behavior, blocked.reason) == ("deny", PLAN_MODE_REASON)

    result = await ExitPlanMode().run(ExitPlanMode.Input(plan="1. Add a.py"), per_call(ctx, "c2"))
    assert not result.is_error and result.output.startswith("The user approved the plan")
    assert permissions.mode == "acceptEdits"
    [request] = approver.requests
    assert (request.call_id, request.tool_name, request.summary, request.reason, request.input) == (
        "c2", "ExitPlanMode", "Approve plan", "plan mode: the plan needs approval", {"plan": "1. Add a.py"})
    assert permissions.decide(write, write.Input(file_path="a.py", content=""), ctx, sandboxed=False).behavior == "allow"


async def test_rejected_plan_stays_in_plan_mode_with_feedback(setup):
    permissions, _, ctx = setup(
        "default",
        ApprovalResponse(behavior="deny", note="Keep the old API too."),
        ApprovalResponse(behavior="allow", note="Go."),
    )
    await EnterPlanMode().run(EnterPlanMode.Input(), per_call(ctx, "c1"))
    result = await ExitPlanMode().run(ExitPlanMode.Input(plan="v1"), per_call(ctx, "c2"))
    assert not result.is_error
    assert "still in plan mode" in result.output and "Keep the old API too." in result.output
    assert permissions.mode == "plan"
    result = await ExitPlanMode().run(ExitPlanMode.Input(plan="v2"), per_call(ctx, "c3"))
    assert "approved" in result.output and "Go." in result.output
    assert permissions.mode == "default"


async def test_started_in_plan_mode_goes_to_default(setup):
    permissions, _, ctx = setup("plan", ApprovalResponse(behavior="allow"))
    await ExitPlanMode().run(ExitPlanMode.Input(plan="p"), per_call(ctx, "c"))
    assert permissions.mode == "default"


async def test_entering_twice_keeps_the_first_previous_mode(setup):
    permissions, _, ctx = setup("acceptEdits", ApprovalResponse(behavior="allow"))
    await EnterPlanMode().run(EnterPlanMode.Input(), per_call(ctx, "a"))
    await EnterPlanMode().run(EnterPlanMode.Input(), per_call(ctx, "b"))
    await ExitPlanMode().run(ExitPlanMode.Input(plan="p"), per_call(ctx, "c"))
    assert permissions.mode == "acceptEdits"


async def test_exit_outside_plan_mode_is_a_clear_error(setup):
    _, approver, ctx = setup("default")
    with pytest.raises(ToolError, match="not in plan mode"):
        await ExitPlanMode().run(ExitPlanMode.Input(plan="p"), per_call(ctx, "c"))
    assert approver.requests == []


def test_plan_tools_are_read_tools():
    assert EnterPlanMode.kind.value == "read" and ExitPlanMode.kind.value == "read"


async def test_plan_mode_through_the_agent_loop(tmp_path, fake_model):
    from agent_harness import make_agent, of_type, run
    from fake_model import Reply, Text, ToolCall

    from claw_tui.core import events as ev

    fake_model.script(
        Reply(parts=[ToolCall("EnterPlanMode", {})]),
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "early\n"})]),
        Reply(parts=[ToolCall("ExitPlanMode", {"plan": "Write a.txt"})]),
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "planned\n"})]),
        Reply(parts=[Text("done")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"))
    agent = make_agent(tmp_path, fake_model.base_url, mode="acceptEdits", approver=approver)
    events = await run(agent, "plan, then write a.txt")
    decided = [(d.behavior, d.decided_by) for d in of_type(events, ev.PermissionDecided)]
    assert ("deny", PLAN_MODE_REASON) in decided
    assert [r.tool_name for r in approver.requests] == ["ExitPlanMode"]
    assert (tmp_path / "a.txt").read_text() == "planned\n"
    assert agent.permissions.mode == "acceptEdits"
