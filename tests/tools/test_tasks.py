from __future__ import annotations

import pytest

from claw_tui.core.tasks import TaskGraph
from claw_tui.tools.base import ToolContext, ToolError
from claw_tui.tools.tasks import TaskCreate, TaskGet, TaskList, TaskUpdate


async def call(tool, ctx, **args):
    return await tool.run(tool.Input.model_validate(args), ctx)


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(cwd=tmp_path, roots=[tmp_path])


async def test_create_list_update_get(ctx):
    result = await call(
        TaskCreate(),
        ctx,
        subject="Write the parser",
        description="Parse the TOML",
        activeForm="Writing the parser",
    )
    assert result.output == "Task #1 created successfully: Write the parser"
    await call(TaskCreate(), ctx, subject="Test the parser", description="Cover errors")
    assert isinstance(ctx.services.task_graph, TaskGraph)

    result = await call(TaskUpdate(), ctx, taskId="2", addBlockedBy=["1"])
    assert "#2 [pending] Test the parser (blocked by #1)" in result.output

    listing = (await call(TaskList(), ctx)).output
    assert "#1 [pending] Write the parser" in listing
    assert "#2 [pending] Test the parser (blocked by #1)" in listing
    assert "Ready to start: #1" in listing

    result = await call(TaskUpdate(), ctx, taskId="1", status="completed")
    assert "Ready to start now: #2 Test the parser" in result.output

    details = (await call(TaskGet(), ctx, taskId="#2")).output
    assert "Task #2: Test the parser" in details
    assert "Status: pending" in details
    assert "Description: Cover errors" in details
    assert "Blocked by: #1 (completed)" in details


async def test_errors_are_clear(ctx):
    with pytest.raises(ToolError, match="No task #7"):
        await call(TaskGet(), ctx, taskId="7")
    await call(TaskCreate(), ctx, subject="a", description="")
    await call(TaskCreate(), ctx, subject="b", description="")
    await call(TaskUpdate(), ctx, taskId="1", addBlocks=["2"])
    with pytest.raises(ToolError, match="cycle: #2 → #1 → #2"):
        await call(TaskUpdate(), ctx, taskId="1", addBlockedBy=["2"])


async def test_owner_metadata_and_delete(ctx):
    await call(TaskCreate(), ctx, subject="a", description="")
    result = await call(
        TaskUpdate(),
        ctx,
        taskId="1",
        owner="reviewer",
        metadata={"pr": 12},
        status="in_progress",
    )
    assert "#1 [in_progress] a (owner: reviewer)" in result.output
    assert "Metadata: pr=12" in (await call(TaskGet(), ctx, taskId="1")).output
    assert (
        await call(TaskUpdate(), ctx, taskId="1", status="deleted")
    ).output == "Task #1 deleted."
    assert (await call(TaskList(), ctx)).output == "No tasks found."


def test_tools_are_read_kind_and_run_in_order():
    for tool in (TaskCreate(), TaskGet(), TaskList(), TaskUpdate()):
        assert tool.kind.value == "read"
        assert tool.concurrent_safe is False
    assert set(TaskUpdate().schema()["properties"]) == {
        "taskId",
        "status",
        "subject",
        "description",
        "activeForm",
        "owner",
        "addBlockedBy",
        "addBlocks",
        "metadata",
    }
