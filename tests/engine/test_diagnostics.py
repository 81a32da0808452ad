"""Diagnostics after edits through the agent loop, with a real language server (pylsp)."""

from __future__ import annotations

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall
from pydantic import BaseModel

from claw_tui.core import events as ev
from claw_tui.tools.base import Tool, ToolContext, ToolResult


class WaitInput(BaseModel):
    file_path: str


class WaitForServer(Tool[WaitInput]):
    """Test tool: a later call that lasts until the file's language server has reported on it."""

    name = "WaitForServer"
    description = "Test tool: waits for the language server."
    Input = WaitInput

    async def run(self, input: WaitInput, ctx: ToolContext) -> ToolResult:
        assert ctx.services.lsp is not None
        await ctx.services.lsp.diagnostics(ctx.resolve(input.file_path))
        return ToolResult.text("waited")


async def test_an_edit_does_not_wait_for_the_server_and_its_diagnostics_come_with_a_later_result(
    tmp_path, fake_model
):
    fake_model.script(  # the Write starts the server, which takes far longer to come up than the Write
        Reply(parts=[ToolCall("Write", {"file_path": "app.py", "content": "print(missing)\n"})]),
        Reply(parts=[ToolCall("WaitForServer", {"file_path": "app.py"})]),
        Reply(parts=[Text("Done.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"lsp": None}, extra_tools=[WaitForServer()])
    lsp = agent.ctx.services.lsp
    assert lsp is not None, "pylsp is installed with [dev]: the session has a language server"
    try:
        events = await run(agent, "break it")
    finally:
        await agent.aclose()
    write, wait = of_type(events, ev.ToolCallFinished)
    assert write.status == "done" and "undefined name" not in write.output  # the server was still starting
    assert wait.output.splitlines() == [
        "waited",
        "Diagnostics in app.py after an earlier edit:",
        "app.py:1:7: error: undefined name 'missing' [pyflakes]",
    ]
    results = fake_model.requests[2].json["messages"][-1]["content"]
    assert "undefined name 'missing'" in str(results), "the model got them with the later result"


async def test_a_read_starts_the_server_in_the_background(tmp_path, fake_model):
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("no language\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"})]),
        Reply(parts=[Text("Read it.")]),
        Reply(parts=[ToolCall("Read", {"file_path": "app.py"})]),
        Reply(parts=[Text("Read it.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"lsp": None})
    lsp = agent.ctx.services.lsp
    try:
        await run(agent, "read the notes")
        assert lsp._starts == {}  # a file of no configured language starts nothing
        await run(agent, "read the code")
        assert set(lsp._starts) == {"python"}
        server = await lsp._starts["python"]
        assert server.ready
    finally:
        await agent.aclose()
    assert not server.running
