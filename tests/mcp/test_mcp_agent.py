"""MCP tools inside the real agent loop: the model calls them, rules gate them, results go back."""

from __future__ import annotations

from engine.agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall
from mcp_helpers import stdio_config

from claw_tui.core import events as ev
from claw_tui.mcp import McpManager


async def test_model_calls_mcp_tools_under_permission_rules(tmp_path, fake_model):
    fake_model.script(
        Reply(
            parts=[
                ToolCall("mcp__demo__echo", {"text": "from the model"}),
                ToolCall("mcp__demo__add", {"a": 1, "b": 2}),
                ToolCall("mcp__demo__huge", {"size": 60_000}),
            ]
        ),
        Reply(parts=[Text("done")]),
    )
    async with McpManager([stdio_config()], project=tmp_path) as mgr:
        agent = make_agent(
            tmp_path,
            fake_model.base_url,
            mode="default",
            extra_tools=mgr.tools(),
            rules=[("allow", "mcp__demo__*"), ("deny", "mcp__demo__add")],
        )
        events = await run(agent, "use the demo server")

    finished = {f.name: f for f in of_type(events, ev.ToolCallFinished)}
    assert finished["mcp__demo__echo"].status == "done"
    assert finished["mcp__demo__add"].status != "done"
    decided = {d.call_id: d for d in of_type(events, ev.PermissionDecided)}
    assert decided[finished["mcp__demo__add"].call_id].behavior == "deny"
    assert decided[finished["mcp__demo__echo"].call_id].behavior == "allow"

    second = fake_model.requests[1].json
    results = [b for b in second["messages"][-1]["content"] if b["type"] == "tool_result"]
    texts = [str(r["content"]) for r in results]
    assert "echo: from the model" in texts[0]
    assert "only the first 50,000 are shown" in texts[2]
    tools_sent = {t["name"]: t for t in fake_model.requests[0].json["tools"]}
    assert tools_sent["mcp__demo__add"]["input_schema"]["required"] == ["a", "b"]
