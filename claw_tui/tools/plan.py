"""EnterPlanMode and ExitPlanMode: explore read-only, then have the user approve a plan.

Plan mode lives in the permission engine (`ctx.services.permissions.mode`); entering it
remembers the previous mode on the engine too (`mode_before_plan`), where ExitPlanMode
finds it.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from claw_tui.core.approval import ApprovalRequest
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult


class EnterPlanModeInput(BaseModel):
    pass


class EnterPlanMode(Tool[EnterPlanModeInput]):
    name: ClassVar[str] = "EnterPlanMode"
    description: ClassVar[str] = (
        "Switch to plan mode before a non-trivial change: in plan mode you can read, search and look around, "
        "but not edit files or run commands. Explore the code, design the change, then present the plan with "
        "ExitPlanMode for the user to approve.\n\n"
        "Use it when the task needs several steps, touches many files, or has more than one sensible approach. "
        "Skip it for small, obvious fixes."
    )
    Input = EnterPlanModeInput
    kind: ClassVar[ToolKind] = ToolKind.READ

    def summary(self, input: EnterPlanModeInput) -> str:
        return "Enter plan mode"

    async def run(self, input: EnterPlanModeInput, ctx: ToolContext) -> ToolResult:
        permissions = ctx.services.permissions
        if permissions is None:
            raise ToolError("Plan mode is not available here (no permission engine).")
        if permissions.mode != "plan":
            permissions.mode_before_plan = permissions.mode
            permissions.mode = "plan"
        return ToolResult.text(
            "Entered plan mode. Explore the codebase with read-only tools and design the change; do not edit "
            "files or run commands that change anything. When the plan is ready, call ExitPlanMode with it."
        )


class ExitPlanModeInput(BaseModel):
    plan: str = Field(
        min_length=1,
        description="The plan to show the user for approval: concise Markdown, the steps and the files to change.",
    )


class ExitPlanMode(Tool[ExitPlanModeInput]):
    name: ClassVar[str] = "ExitPlanMode"
    description: ClassVar[str] = (
        "Present your plan for approval and, once the user approves it, leave plan mode to carry it out.\n\n"
        "Call it only in plan mode, when you have finished exploring and the plan is complete. If the user "
        "rejects it, you stay in plan mode: revise the plan with their feedback and present it again."
    )
    Input = ExitPlanModeInput
    kind: ClassVar[ToolKind] = ToolKind.READ

    def summary(self, input: ExitPlanModeInput) -> str:
        return "Approve plan"

    async def run(self, input: ExitPlanModeInput, ctx: ToolContext) -> ToolResult:
        permissions = ctx.services.permissions
        approver = ctx.services.approver
        if permissions is None or approver is None:
            raise ToolError("Plan approval is not available here; carry on without plan mode.")
        if permissions.mode != "plan":
            raise ToolError(
                f"You are not in plan mode (the mode is {permissions.mode}); there is no plan to approve."
            )
        request = ApprovalRequest(
            call_id=str(ctx.call_id),
            tool_name=self.name,
            input={"plan": input.plan},
            summary="Approve plan",
            reason="plan mode: the plan needs approval",
        )
        answer = await approver.decide(request)
        if answer.behavior != "allow":
            feedback = answer.note.strip() or "No reason given."
            return ToolResult.text(
                "The user did not approve the plan; you are still in plan mode. Revise the plan with their "
                f"feedback and present it again with ExitPlanMode. The user says: {feedback}",
                approved=False,
            )
        permissions.mode = permissions.mode_before_plan or "default"
        permissions.mode_before_plan = None
        text = "The user approved the plan. You can now start coding; follow the plan and keep the task list current."
        if answer.note.strip():
            text += f" The user adds: {answer.note.strip()}"
        return ToolResult.text(text, approved=True, mode=permissions.mode)
