"""Agent, SendMessage, EnterWorktree, ExitWorktree and Skill (Claude Code's names and parameters).

Plus TaskOutput and TaskStop that also know background agents: the shell's versions with one
more kind of task id, so the model reads a background agent's report the way it reads a
background command's output.

Agent is a READ tool: spawning changes nothing by itself, and every call the child makes goes
through the parent's permission engine and approver. Several Agent calls in one response run
at once, up to `agents.max_concurrent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field

from claw_tui.engine.services import subagents_of
from claw_tui.tools import shell
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult

if TYPE_CHECKING:
    from claw_tui.engine.subagents import SubagentManager


def _manager(ctx: ToolContext) -> SubagentManager:
    manager = subagents_of(ctx)
    if manager is None:
        raise ToolError("Subagents are not available here (a subagent cannot start or manage agents).")
    return manager


class AgentInput(BaseModel):
    description: str = Field(description="A short (3-5 word) description of the task")
    prompt: str = Field(description="The task for the agent to perform")
    subagent_type: str | None = Field(
        default=None, description='The type of specialized agent to use for this task (default "general-purpose")'
    )
    model: str | None = Field(
        default=None,
        description='Optional model for this agent: "sonnet", "opus", "haiku", "inherit" or a full model id. '
        "Overrides the agent type's model.",
    )
    run_in_background: bool = Field(
        default=False,
        description="Run the agent in the background; read its report later with TaskOutput(task_id=<agent id>)",
    )
    isolation: Literal["worktree"] | None = Field(
        default=None,
        description='"worktree" runs the agent in a temporary git worktree; its changes come back as a diff '
        "for approval when it finishes",
    )
    name: str | None = Field(default=None, description="A name for the agent, to address it with SendMessage")


AGENT_DESCRIPTION = """Launch a new agent to handle complex, multi-step tasks autonomously.

The agent works in its own context with the tools of its type and reports back once; its final
message is this tool's result. Use it for open-ended searches that may take several rounds, for
independent pieces of work, and to keep large explorations out of your own context.

- Launch several agents at once, when the work is independent, by making several Agent calls in one
  response; they run concurrently.
- The agent sees none of your conversation: the prompt must hold everything it needs, and say what
  to report back (it cannot ask you questions).
- With run_in_background the call returns the agent's id at once; read its report with TaskOutput
  and send it more instructions with SendMessage.
- With isolation "worktree" the agent edits a separate git worktree; when it finishes its changes
  come back as a diff for approval, and files changed meanwhile in the main tree are reported as
  conflicts instead of being overwritten.
- The agent's report is not shown to the user: summarise what matters in your reply."""


class Agent(Tool[AgentInput]):
    name: ClassVar[str] = "Agent"
    description: ClassVar[str] = AGENT_DESCRIPTION
    Input = AgentInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: AgentInput) -> str:
        kind = input.subagent_type or "general-purpose"
        extra = " (background)" if input.run_in_background else ""
        extra += " (worktree)" if input.isolation else ""
        return f"Agent {kind}: {input.description}{extra}"

    async def run(self, input: AgentInput, ctx: ToolContext) -> ToolResult:
        from claw_tui.engine.agent_defs import AgentDefError, find_agent
        from claw_tui.engine.subagents import SpawnRequest, SubagentError

        manager = _manager(ctx)
        if not input.prompt.strip():
            raise ToolError("The prompt is empty: say what the agent should do and what to report.")
        try:
            agent_def = find_agent(manager.parent.agent_types(), input.subagent_type or "general-purpose")
            child = manager.spawn(
                SpawnRequest(
                    description=input.description,
                    prompt=input.prompt,
                    agent=agent_def,
                    model=input.model,
                    background=input.run_in_background,
                    isolation=input.isolation,
                    name=input.name,
                ),
                call_id=ctx.call_id,
            )
        except (AgentDefError, SubagentError) as exc:
            raise ToolError(str(exc)) from None
        if input.run_in_background:
            manager.start(child)
            return ToolResult.text(
                f"Started agent {child.id} ({child.type}: {child.description}) in the background.\n"
                f"Read its report with TaskOutput(task_id={child.id!r}); send it instructions with "
                f"SendMessage(to={child.id!r}).",
                agent_id=child.id,
                status="running",
            )
        await manager.run(child, ctx.emit_event)
        return manager.result(child)


class SendMessageInput(BaseModel):
    to: str = Field(description="The id (or name) of the agent to message")
    message: str = Field(description="The message to send")


class SendMessage(Tool[SendMessageInput]):
    name: ClassVar[str] = "SendMessage"
    description: ClassVar[str] = (
        "Send a message to an agent you started. A running agent reads it when its current step ends and "
        "continues with it; a finished agent resumes in the background with its context intact (read its "
        "reply with TaskOutput)."
    )
    Input = SendMessageInput
    kind: ClassVar[ToolKind] = ToolKind.READ

    def summary(self, input: SendMessageInput) -> str:
        return f"SendMessage to {input.to}"

    async def run(self, input: SendMessageInput, ctx: ToolContext) -> ToolResult:
        from claw_tui.engine.subagents import SubagentError

        try:
            return ToolResult.text(await _manager(ctx).send(input.to, input.message))
        except SubagentError as exc:
            raise ToolError(str(exc)) from None


class EnterWorktreeInput(BaseModel):
    name: str | None = Field(default=None, description="Optional name for the worktree (its branch is claw/<name>)")


class EnterWorktree(Tool[EnterWorktreeInput]):
    name: ClassVar[str] = "EnterWorktree"
    description: ClassVar[str] = (
        "Create an isolated git worktree (a separate checkout on a temporary branch, holding the current "
        "uncommitted changes too) and continue the session in it. Edits there do not touch the main tree "
        "until ExitWorktree applies them, after the user reviews the diff. Use it for risky or experimental "
        "changes the user may want to throw away."
    )
    Input = EnterWorktreeInput
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE

    async def run(self, input: EnterWorktreeInput, ctx: ToolContext) -> ToolResult:
        from claw_tui.engine.subagents import SubagentError

        try:
            wt = _manager(ctx).enter_worktree(input.name)
        except SubagentError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(
            f"Now working in worktree {wt.path} on branch {wt.branch} (from {wt.base_commit[:12]} plus the "
            f"uncommitted changes). The working directory is {wt.cwd}. Call ExitWorktree when done.",
            worktree=str(wt.path),
            branch=wt.branch,
        )


class ExitWorktreeInput(BaseModel):
    action: Literal["apply", "keep", "remove"] = Field(
        default="apply",
        description='"apply": bring the changes to the main tree (the user reviews the diff) and remove the '
        'worktree; "keep": leave the worktree and its branch on disk; "remove": delete it',
    )
    discard_changes: bool = Field(default=False, description='Required to "remove" a worktree that has changes')


class ExitWorktree(Tool[ExitWorktreeInput]):
    name: ClassVar[str] = "ExitWorktree"
    description: ClassVar[str] = (
        "Leave the worktree EnterWorktree made and return to the main tree. By default its changes are "
        "applied to the main tree after the user approves the diff; a file the main tree changed meanwhile "
        "is reported as a conflict and kept as a patch, never overwritten."
    )
    Input = ExitWorktreeInput
    kind: ClassVar[ToolKind] = ToolKind.READ

    def summary(self, input: ExitWorktreeInput) -> str:
        return f"ExitWorktree ({input.action})"

    async def run(self, input: ExitWorktreeInput, ctx: ToolContext) -> ToolResult:
        from claw_tui.engine.subagents import SubagentError
        from claw_tui.engine.worktrees import WorktreeError

        try:
            text = await _manager(ctx).exit_worktree(
                input.action,
                discard_changes=input.discard_changes,
                call_id=ctx.call_id,
                emit=ctx.emit_event,
            )
        except (SubagentError, WorktreeError) as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(text, is_error="CONFLICT" in text)


class SkillInput(BaseModel):
    skill: str = Field(description='The skill name, e.g. "pdf" or "review-pr"')
    args: str | None = Field(default=None, description="Optional arguments for the skill")


class Skill(Tool[SkillInput]):
    name: ClassVar[str] = "Skill"
    description: ClassVar[str] = (
        "Load a skill: its instructions and the list of its files. The skills available are listed in the "
        "system prompt under <skills>; when a task matches a skill's description, call this first and follow "
        "what it returns. Do not call it for a skill that is already loaded in this conversation."
    )
    Input = SkillInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: SkillInput) -> str:
        return f"Skill {input.skill}"

    async def run(self, input: SkillInput, ctx: ToolContext) -> ToolResult:
        from claw_tui.engine.skills import SkillError, find_skill, list_skills, render_skill

        try:
            skill = find_skill(list_skills(ctx.cwd), input.skill, by_model=True)
            return ToolResult.text(render_skill(skill, input.args or ""), skill=skill.name, path=str(skill.path))
        except SkillError as exc:
            raise ToolError(str(exc)) from None


class TaskOutput(shell.TaskOutput):
    description: ClassVar[str] = shell.TaskOutput.description + (
        "\n- Also reads the report of a background agent (Agent with run_in_background): pass the agent's id "
        "as task_id."
    )

    async def run(self, input: shell.TaskOutputInput, ctx: ToolContext) -> ToolResult:
        manager = subagents_of(ctx)
        if manager is None or not manager.has(input.task_id):
            return await super().run(input, ctx)
        return await manager.output(input.task_id, block=input.block, timeout=input.timeout / 1000)


class TaskStop(shell.TaskStop):
    description: ClassVar[str] = shell.TaskStop.description + " Also stops a background agent by its id."

    async def run(self, input: shell.TaskStopInput, ctx: ToolContext) -> ToolResult:
        assert input.task_id  # TaskStopInput refuses an input without one
        from claw_tui.engine.subagents import SubagentError

        manager = subagents_of(ctx)
        if manager is None or not manager.has(input.task_id):
            return await super().run(input, ctx)
        try:
            child = await manager.stop(input.task_id)
        except SubagentError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(f"Stopped agent {child.label}.", agent_id=child.id, status=child.status)
