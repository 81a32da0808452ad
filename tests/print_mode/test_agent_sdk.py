"""The official Claude Agent SDK (`claude-agent-sdk`) driving the real `claw` program, as an SDK
program drives Claude Code: `ClaudeAgentOptions(cli_path=claw)`, against the fake model server,
with Claude models and with OpenAI's (which no Agent SDK program could use before)."""

from __future__ import annotations

import uuid

import pytest
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)
from claw_runner import claw_program, fake_env
from fake_model import Reply, Text, ToolCall

PROVIDERS = {"anthropic": "anthropic/claude-sonnet-5-5", "openai": "openai/gpt-5.6-terra"}


def options(project, fake_model, model: str, **more) -> ClaudeAgentOptions:
    return ClaudeAgentOptions(cli_path=claw_program(), cwd=project, model=model,
                              env=fake_env(fake_model.base_url), **more)


@pytest.mark.parametrize("provider", list(PROVIDERS))
async def test_a_query_streams_its_messages_and_asks_the_permission_callback(provider, project, fake_model):
    target = project / "notes.txt"
    fake_model.script(
        Reply(parts=[Text("I will write it."), ToolCall("Write", {"file_path": str(target), "content": "draft\n"})]),
        Reply(parts=[Text("Saved the notes.")]),
    )
    asked = []

    async def can_use_tool(name, tool_input, context):
        asked.append((name, dict(tool_input), context.tool_use_id))
        return PermissionResultAllow(updated_input={**tool_input, "content": "approved\n"})

    got = [m async for m in query(prompt="Write my notes",
                                  options=options(project, fake_model, PROVIDERS[provider], can_use_tool=can_use_tool))]
    init = got[0]
    assert isinstance(init, SystemMessage) and init.subtype == "init" and "Write" in init.data["tools"]
    assert init.data["model"] == PROVIDERS[provider].split("/")[1]
    assistant = [m for m in got if isinstance(m, AssistantMessage)]
    assert [type(b) for m in assistant for b in m.content] == [TextBlock, ToolUseBlock, TextBlock]
    call = assistant[1].content[0]
    assert call.name == "Write" and asked == [("Write", {"file_path": str(target), "content": "draft\n"}, call.id)]
    (user,) = [m for m in got if isinstance(m, UserMessage)]
    assert isinstance(user.content[0], ToolResultBlock) and user.content[0].tool_use_id == call.id
    result = got[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success" and not result.is_error
    assert result.result == "Saved the notes." and result.num_turns == 2 and str(uuid.UUID(result.session_id))
    assert result.total_cost_usd and result.total_cost_usd > 0 and result.usage["output_tokens"] > 0
    assert target.read_text() == "approved\n", "the callback's updated input is what ran"
    path = fake_model.requests[0].path
    assert path.endswith("/messages") if provider == "anthropic" else path.endswith(("/chat/completions", "/responses"))


@pytest.mark.parametrize("provider", list(PROVIDERS))
async def test_a_client_interrupts_a_turn_and_goes_on(provider, project, fake_model):
    fake_model.script(
        Reply(parts=[Text("word " * 400)], token_delay=0.05),
        Reply(parts=[Text("Yes, still here.")]),
    )
    opts = options(project, fake_model, PROVIDERS[provider], include_partial_messages=True)
    async with ClaudeSDKClient(options=opts) as client:
        assert (await client.get_mcp_status()) == {"mcpServers": []}
        await client.set_permission_mode("acceptEdits")
        await client.query("Talk for a while")
        async for message in client.receive_messages():
            if isinstance(message, StreamEvent) and message.event.get("type") == "content_block_delta":
                break
        await client.interrupt()
        interrupted = [m async for m in client.receive_response()][-1]
        assert isinstance(interrupted, ResultMessage) and interrupted.is_error
        assert interrupted.subtype == "error_during_execution"
        await client.query("Are you there?")
        after = [m async for m in client.receive_response()]
    init = next(m for m in after if isinstance(m, SystemMessage) and m.subtype == "init")
    assert init.data["permissionMode"] == "acceptEdits"
    result = after[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success" and result.result == "Yes, still here."
    assert result.session_id == interrupted.session_id
    assert len(fake_model.requests) == 2, "the interrupted reply was not asked for again"


async def test_an_in_process_sdk_mcp_server_is_named_not_fatal(project, fake_model):
    """claw cannot reach tools that live inside the SDK program yet: it says so and runs without them."""
    from claude_agent_sdk import create_sdk_mcp_server, tool

    @tool("shout", "Shout the text", {"text": str})
    async def shout(args):
        return {"content": [{"type": "text", "text": args["text"].upper()}]}

    fake_model.script(Reply(parts=[Text("Fine without it.")]))
    lines: list[str] = []
    opts = options(project, fake_model, PROVIDERS["anthropic"], stderr=lines.append,
                   mcp_servers={"inproc": create_sdk_mcp_server("inproc", tools=[shout])})
    got = [m async for m in query(prompt="hi", options=opts)]
    assert isinstance(got[-1], ResultMessage) and got[-1].result == "Fine without it."
    assert any("MCP server inproc runs inside the Agent SDK program" in line for line in lines)
