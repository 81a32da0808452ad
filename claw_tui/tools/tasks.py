"""TaskCreate, TaskGet, TaskList, TaskUpdate: the model's own task list (Claude Code's names).

They change only claw's task graph, never the user's files, so they are READ tools that plan
mode allows. They run in order (not concurrently) so ids and edges come out as asked.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from claw_tui.core.tasks import Task, TaskError, TaskGraph
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult


def graph_of(ctx: ToolContext) -> TaskGraph:
    """The context's task graph, made on first use."""
    graph = ctx.services.task_graph
    if graph is None:
        graph = ctx.services.task_graph = TaskGraph()
    return graph


def _line(task: Task, graph: TaskGraph) -> str:
    text = f"#{task.id} [{task.status}] {task.subject}"
    if task.owner:
        text += f" (owner: {task.owner})"
    blockers = graph.open_blockers(task)
    if blockers:
        text += " (blocked by " + ", ".join(f"#{b}" for b in blockers) + ")"
    return text


def _details(task: Task, graph: TaskGraph) -> str:
    lines = [f"Task #{task.id}: {task.subject}", f"Status: {task.status}"]
    if task.description:
        lines.append(f"Description: {task.description}")
    if task.active_form:
        lines.append(f"Active form: {task.active_form}")
    if task.owner:
        lines.append(f"Owner: {task.owner}")
    if task.blocked_by:
        lines.append(
            "Blocked by: "
            + ", ".join(
                f"#{b} ({graph.get(b).status})" for b in _sorted(task.blocked_by)
            )
        )
    if task.blocks:
        lines.append("Blocks: " + ", ".join(f"#{b}" for b in _sorted(task.blocks)))
    if task.metadata:
        lines.append(
            "Metadata: " + ", ".join(f"{k}={v!r}" for k, v in task.metadata.items())
        )
    return "\n".join(lines)


def _sorted(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda i: (len(i), i))


class TaskCreateInput(BaseModel):
    subject: str = Field(
        description='A brief title in the imperative, e.g. "Fix the login redirect".'
    )
    description: str = Field(
        description="What needs to be done, with enough detail to do it later."
    )
    activeForm: str | None = Field(
        default=None,
        description='Present continuous form shown while the task runs, e.g. "Fixing the login redirect".',
    )
    metadata: dict[str, Any] | None = Field(
        default=None, description="Arbitrary data to keep with the task."
    )


class TaskCreate(Tool[TaskCreateInput]):
    name: ClassVar[str] = "TaskCreate"
    description: ClassVar[str] = (
        "Create a task in your task list, to plan and track multi-step work and show the user your progress.\n\n"
        "Use it for work with three or more distinct steps, when the user gives several things to do, or when "
        "they ask for a to-do list. Skip it for a single trivial step.\n"
        "New tasks start as pending. Mark a task in_progress with TaskUpdate before you start it and completed "
        "as soon as it is done. Use TaskUpdate's addBlockedBy to say which tasks must finish first."
    )
    Input = TaskCreateInput

    def summary(self, input: TaskCreateInput) -> str:
        return f"TaskCreate: {input.subject}"

    async def run(self, input: TaskCreateInput, ctx: ToolContext) -> ToolResult:
        try:
            task = graph_of(ctx).create(
                input.subject,
                input.description,
                active_form=input.activeForm,
                metadata=input.metadata,
            )
        except TaskError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(
            f"Task #{task.id} created successfully: {task.subject}", task_id=task.id
        )


class TaskGetInput(BaseModel):
    taskId: str = Field(description='The id of the task, e.g. "3".')


class TaskGet(Tool[TaskGetInput]):
    name: ClassVar[str] = "TaskGet"
    description: ClassVar[str] = (
        "Get one task from your task list by id: subject, description, status, owner, and which tasks it "
        "is blocked by or blocks. Use it before starting a task to re-read what it asks for."
    )
    Input = TaskGetInput

    def summary(self, input: TaskGetInput) -> str:
        return f"TaskGet: #{input.taskId.lstrip('#')}"

    async def run(self, input: TaskGetInput, ctx: ToolContext) -> ToolResult:
        graph = graph_of(ctx)
        try:
            task = graph.get(input.taskId.lstrip("#"))
        except TaskError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult.text(_details(task, graph))


class TaskListInput(BaseModel):
    pass


class TaskList(Tool[TaskListInput]):
    name: ClassVar[str] = "TaskList"
    description: ClassVar[str] = (
        "List all tasks in your task list with their id, status, subject, owner and open blockers. Use it to "
        "see what is left, to pick the next task (prefer the lowest id that is pending and not blocked), and "
        "after finishing a task."
    )
    Input = TaskListInput

    async def run(self, input: TaskListInput, ctx: ToolContext) -> ToolResult:
        graph = graph_of(ctx)
        tasks = graph.list()
        if not tasks:
            return ToolResult.text("No tasks found.")
        lines = [_line(t, graph) for t in tasks]
        ready = graph.ready()
        if ready:
            lines.append("Ready to start: " + ", ".join(f"#{t.id}" for t in ready))
        return ToolResult.text("\n".join(lines))


class TaskUpdateInput(BaseModel):
    taskId: str = Field(description="The id of the task to update.")
    status: Literal["pending", "in_progress", "completed", "deleted"] | None = Field(
        default=None,
        description='New status; "deleted" removes the task and its dependencies.',
    )
    subject: str | None = Field(default=None, description="New subject.")
    description: str | None = Field(default=None, description="New description.")
    activeForm: str | None = Field(
        default=None, description="New present continuous form."
    )
    owner: str | None = Field(
        default=None,
        description="Who works on the task (an agent name); empty to clear.",
    )
    addBlockedBy: list[str] | None = Field(
        default=None, description="Ids of tasks that must finish before this one."
    )
    addBlocks: list[str] | None = Field(
        default=None,
        description="Ids of tasks that cannot start until this one finishes.",
    )
    metadata: dict[str, Any] | None = Field(
        default=None,
        description="Keys to merge into the task's metadata; a key set to null is removed.",
    )


class TaskUpdate(Tool[TaskUpdateInput]):
    name: ClassVar[str] = "TaskUpdate"
    description: ClassVar[str] = (
        "Update a task in your task list: its status, subject, description, activeForm, owner, metadata, or "
        "its dependencies (addBlockedBy / addBlocks).\n\n"
        "Mark a task in_progress when you start it and completed only when it is fully done (tests pass, "
        "nothing left half-finished); if you hit a blocker, keep it in_progress and create a task for the "
        "blocker. Set status to deleted for a task that is no longer relevant. A dependency that would make "
        "a cycle is refused."
    )
    Input = TaskUpdateInput

    def summary(self, input: TaskUpdateInput) -> str:
        text = f"TaskUpdate: #{input.taskId.lstrip('#')}"
        return f"{text} → {input.status}" if input.status else text

    async def run(self, input: TaskUpdateInput, ctx: ToolContext) -> ToolResult:
        graph = graph_of(ctx)
        try:
            task = graph.update(
                input.taskId.lstrip("#"),
                status=input.status,
                subject=input.subject,
                description=input.description,
                owner=input.owner,
                add_blocked_by=[i.lstrip("#") for i in input.addBlockedBy or ()],
                add_blocks=[i.lstrip("#") for i in input.addBlocks or ()],
                active_form=input.activeForm,
                metadata=input.metadata,
            )
        except TaskError as exc:
            raise ToolError(str(exc)) from None
        if task.status == "deleted":
            return ToolResult.text(f"Task #{task.id} deleted.")
        text = f"Updated task #{task.id}.\n{_line(task, graph)}"
        if task.status == "completed":
            ready = graph.ready()
            if ready:
                text += "\nReady to start now: " + ", ".join(
                    f"#{t.id} {t.subject}" for t in ready
                )
        return ToolResult.text(text)
