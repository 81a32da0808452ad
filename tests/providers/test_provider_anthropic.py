"""AnthropicProvider over HTTP: the real `anthropic` SDK against the fake model server."""

from __future__ import annotations

import email.utils
import time

import pytest
from fake_model import Fault, Reply, Text, Thinking, ToolCall

from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    user_text,
)
from claw_tui.providers.anthropic import AnthropicProvider
from claw_tui.providers.base import ModelRequest, ProviderError, ToolSpec

READ = ToolSpec(
    name="Read",
    description="Read a file",
    input_schema={"type": "object", "properties": {"file_path": {"type": "string"}}},
)
GLOB = ToolSpec(
    name="Glob",
    description="Find files",
    input_schema={"type": "object", "properties": {"pattern": {"type": "string"}}},
)


def request(*messages: Message, **fields) -> ModelRequest:
    return ModelRequest(model="claude-haiku-4-5", messages=list(messages) or [user_text("hi")], **fields)


@pytest.fixture
def provider(fake_model):
    return AnthropicProvider("test-key", base_url=fake_model.base_url, idle_timeout=5.0)


async def test_text_arrives_in_several_deltas_and_the_response_holds_it(fake_model, provider, collect):
    fake_model.script(Reply(parts=[Text("The quick brown fox jumps over the lazy dog")]))
    deltas, response = await collect(provider, request())
    texts = [d.text for d in deltas if isinstance(d, TextDelta)]
    assert len(texts) == 9 and "".join(texts) == "The quick brown fox jumps over the lazy dog"
    assert response.message.text == "The quick brown fox jumps over the lazy dog"
    assert response.message.model == "anthropic/claude-haiku-4-5"
    assert response.stop_reason == "end_turn"
    assert fake_model.requests[0].json["stream"] is True


async def test_deltas_are_yielded_while_the_server_is_still_streaming(fake_model, provider):
    # The server stalls after the first word: seeing that word proves it was not buffered.
    fake_model.script(Reply(parts=[Text("one two three")], fault=Fault.stall(after_events=3, seconds=30)))
    stream = provider.stream(request())
    first = await anext(stream)
    assert first == TextDelta(text="one ", ts=first.ts)
    await stream.aclose()


async def test_a_tool_call_in_several_chunks_is_reassembled(fake_model, provider, collect):
    fake_model.script(Reply(parts=[Text("Let me look."), ToolCall("Read", {"file_path": "src/app.py", "limit": 20})]))
    deltas, response = await collect(provider, request(tools=[READ]))
    started = [d for d in deltas if isinstance(d, ToolCallStarted)]
    pieces = [d for d in deltas if isinstance(d, ToolCallInputDelta)]
    assert len(started) == 1 and started[0].name == "Read"
    assert len(pieces) >= 3 and {p.call_id for p in pieces} == {started[0].call_id}
    (call,) = response.message.tool_uses
    assert call.id == started[0].call_id and call.input == {"file_path": "src/app.py", "limit": 20}
    assert response.stop_reason == "tool_use" and response.incomplete_tool_calls == []


async def test_thinking_streams_keeps_its_signature_and_is_requested_with_a_budget(fake_model, provider, collect):
    fake_model.script(Reply(parts=[Thinking("weighing the options", signature="sig-123"), Text("done")]))
    deltas, response = await collect(provider, request(thinking_budget=4000, max_tokens=8000, temperature=0.2))
    assert "".join(d.text for d in deltas if isinstance(d, ThinkingDelta)) == "weighing the options"
    thinking = response.message.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert (thinking.thinking, thinking.signature, thinking.provider) == (
        "weighing the options",
        "sig-123",
        "anthropic",
    )
    sent = fake_model.requests[0].json
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    assert "temperature" not in sent  # refused alongside thinking


async def test_adaptive_thinking_for_models_the_catalog_marks(fake_model, provider, collect):
    fake_model.script(Reply(parts=[Text("ok")]))
    await collect(provider, ModelRequest(model="claude-opus-4-6", messages=[user_text("hi")], thinking_budget=4000))
    assert fake_model.requests[0].json["thinking"] == {"type": "adaptive"}


async def test_cache_breakpoints_on_system_last_tool_and_last_user_message(fake_model, provider, collect):
    fake_model.script(Reply(parts=[Text("ok")]))
    history = [
        user_text("first question"),
        Message(role="assistant", content=[TextBlock(text="first answer")]),
        user_text("second question"),
    ]
    await collect(provider, request(*history, system="You are claw.", tools=[READ, GLOB]))
    sent = fake_model.requests[0].json
    assert sent["system"] == [{"type": "text", "text": "You are claw.", "cache_control": {"type": "ephemeral"}}]
    assert "cache_control" not in sent["tools"][0]
    assert sent["tools"][1]["cache_control"] == {"type": "ephemeral"}
    assert sent["messages"][2]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent["messages"][0]["content"][-1]
    marks = str(sent).count("cache_control")
    assert marks == 3


async def test_usage_reports_cache_reads_and_writes(fake_model, provider, collect):
    usage = {"input_tokens": 12, "output_tokens": 34, "cache_read": 5000, "cache_write": 700}
    fake_model.script(Reply(parts=[Text("ok")], usage=usage))
    _, response = await collect(provider, request())
    u = response.usage
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens) == (12, 34, 5000, 700)


async def test_transcript_conversion_keeps_images_results_errors_and_signed_thinking_only(
    fake_model, provider, collect
):
    history = [
        Message(role="user", content=[TextBlock(text="look"), ImageBlock(media_type="image/png", data="iVBOR")]),
        Message(
            role="assistant",
            content=[
                ThinkingBlock(thinking="mine", signature="sig-a", provider="anthropic"),
                ThinkingBlock(thinking="from gpt", provider="openai"),
                ThinkingBlock(thinking="unsigned", provider="anthropic"),
                ToolUseBlock(id="call.weird:id", name="Read", input={"file_path": "x"}),
            ],
        ),
        Message(
            role="user",
            content=[
                ToolResultBlock(
                    tool_use_id="call.weird:id",
                    content=[TextBlock(text="no such file"), ImageBlock(media_type="image/png", data="AAAA")],
                    is_error=True,
                )
            ],
        ),
    ]
    fake_model.script(Reply(parts=[Text("ok")]))
    await collect(provider, request(*history))
    user, assistant, results = fake_model.requests[0].json["messages"]
    assert user["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
    }
    assert assistant["content"][0] == {"type": "thinking", "thinking": "mine", "signature": "sig-a"}
    assert [b["type"] for b in assistant["content"]] == ["thinking", "tool_use"]
    tool_id = assistant["content"][1]["id"]
    assert tool_id == "call_weird_id"
    result = results["content"][0]
    assert result["tool_use_id"] == tool_id and result["is_error"] is True
    assert result["content"][0] == {"type": "text", "text": "no such file"}
    assert result["content"][1]["type"] == "image"


async def test_an_unanswered_tool_call_is_answered_before_sending(fake_model, provider, collect):
    history = [
        user_text("go"),
        Message(role="assistant", content=[ToolUseBlock(id="toolu_1", name="Read", input={})]),
        user_text("stop"),
    ]
    fake_model.script(Reply(parts=[Text("ok")]))
    await collect(provider, request(*history))
    last = fake_model.requests[0].json["messages"][-1]
    assert last["role"] == "user"
    assert last["content"][0]["type"] == "tool_result" and last["content"][0]["tool_use_id"] == "toolu_1"
    assert last["content"][1]["text"] == "stop"


async def test_a_tool_call_cut_by_max_tokens_is_listed_incomplete(fake_model, provider, collect):
    fake_model.script(
        Reply(
            parts=[Text("writing"), ToolCall("Write", {"file_path": "a.py", "content": "x" * 40})],
            stop_reason="max_tokens",
            truncate_tool_json=True,
        )
    )
    _, response = await collect(provider, request())
    (call,) = response.message.tool_uses
    assert response.stop_reason == "max_tokens"
    assert response.incomplete_tool_calls == [call.id]
    assert call.input == {}


FAULTS = [
    # fault, kind, retryable, retry_after, partial
    (Fault.http(429, retry_after=7), "rate_limit", True, 7.0, False),
    (Fault.http(429, headers={"retry-after-ms": "1500"}), "rate_limit", True, 1.5, False),
    (Fault.http(529), "overloaded", True, None, False),
    (Fault.http(503), "overloaded", True, None, False),
    (Fault.http(500), "server", True, None, False),
    (Fault.http(502), "server", True, None, False),
    (Fault.http(400, message="messages: bad"), "bad_request", False, None, False),
    (Fault.http(404), "bad_request", False, None, False),
    (Fault.http(413), "bad_request", False, None, False),
    (Fault.http(403), "auth", False, None, False),
    (Fault.error_event(after_events=4), "overloaded", True, None, True),
    (Fault.error_event(after_events=4, error_type="rate_limit_error"), "rate_limit", True, None, True),
    (Fault.error_event(after_events=4, error_type="api_error"), "server", True, None, True),
    (Fault.cut(after_events=4), "stream", True, None, True),
    (Fault.cut(after_events=1), "stream", True, None, False),
    (Fault.no_stop(), "stream", True, None, True),
    (Fault.no_stop(after_events=4), "stream", True, None, True),
    (Fault.stall(after_events=4, seconds=30), "stream", True, None, True),
]


@pytest.mark.parametrize(
    "fault,kind,retryable,retry_after,partial", FAULTS, ids=[f"{f.kind}-{k}" for f, k, *_ in FAULTS]
)
async def test_faults_map_to_provider_errors(fake_model, fault, kind, retryable, retry_after, partial):
    provider = AnthropicProvider("test-key", base_url=fake_model.base_url, idle_timeout=2.0)
    fake_model.script(Reply(parts=[Text("partial answer that will be lost")], fault=fault))
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(request()):
            pass
    err = caught.value
    assert (err.kind, err.retryable, err.partial) == (kind, retryable, partial)
    assert err.retry_after == retry_after
    assert "\n" not in err.message and err.message


async def test_retry_after_as_an_http_date(fake_model, provider):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    fake_model.script(Reply(fault=Fault.http(429, headers={"retry-after": when})))
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(request()):
            pass
    assert 100 < caught.value.retry_after <= 120


async def test_a_rejected_key_says_which_variable_to_set(fake_model, provider):
    fake_model.script(Reply(fault=Fault.http(401, message="invalid x-api-key")))
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(request()):
            pass
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert caught.value.message == "Anthropic rejected the API key (401). Set ANTHROPIC_API_KEY to a valid key."


async def test_a_bad_request_carries_the_api_message(fake_model, provider):
    fake_model.script(Reply(fault=Fault.http(400, message="max_tokens: must be at most 64000")))
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(request()):
            pass
    assert caught.value.message == "Anthropic rejected the request (400): max_tokens: must be at most 64000."


async def test_nothing_listening_is_a_network_error():
    provider = AnthropicProvider("k", base_url="http://127.0.0.1:9", idle_timeout=5)
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(request()):
            pass
    assert caught.value.kind == "network" and "ANTHROPIC_BASE_URL" in caught.value.message


async def test_list_models(fake_model, provider):
    assert await provider.list_models() == ["llama3", "qwen3-coder"]


async def test_thinking_is_left_off_while_a_tool_loop_lacks_signed_thinking(fake_model, provider, collect):
    """A tool call written by another provider has no signed thinking; the API would refuse it."""
    history = [
        user_text("read a"),
        Message(role="assistant", content=[ToolUseBlock(id="call_1", name="Read", input={"file_path": "a"})]),
        Message(role="user", content=[ToolResultBlock(tool_use_id="call_1", content=[TextBlock(text="alpha")])]),
    ]
    fake_model.script(Reply(parts=[Text("alpha")]), Reply(parts=[Text("ok")]))
    await collect(provider, request(*history, thinking_budget=2048))
    await collect(provider, request(user_text("fresh question"), thinking_budget=2048))
    assert "thinking" not in fake_model.requests[0].json
    assert fake_model.requests[1].json["thinking"] == {"type": "enabled", "budget_tokens": 2048}
