"""OpenAIProvider over HTTP: Chat Completions and Responses with the real `openai` SDK."""

from __future__ import annotations

import pytest
from fake_model import Fault, Reply, Text, Thinking, ToolCall

from claw_tui.core.events import TextDelta, ThinkingDelta, ToolCallInputDelta, ToolCallStarted
from claw_tui.core.transcript import ImageBlock, Message, TextBlock, ToolResultBlock, user_text
from claw_tui.providers.anthropic import AnthropicProvider
from claw_tui.providers.base import ModelRequest, ProviderError, ToolSpec
from claw_tui.providers.openai import OpenAIProvider

READ = ToolSpec(
    name="Read",
    description="Read a file",
    input_schema={"type": "object", "properties": {"file_path": {"type": "string"}}},
)
APIS = ["chat", "responses"]


def request(*messages: Message, model: str = "gpt-4.1", **fields) -> ModelRequest:
    return ModelRequest(model=model, messages=list(messages) or [user_text("hi")], **fields)


def make(fake_model, api: str = "chat", name: str = "openai", idle_timeout: float = 5.0) -> OpenAIProvider:
    return OpenAIProvider(
        "test-key", base_url=fake_model.base_url + "/v1", api=api, name=name, idle_timeout=idle_timeout
    )


def endpoint(api: str) -> str:
    return "/v1/chat/completions" if api == "chat" else "/v1/responses"


@pytest.mark.parametrize("api", APIS)
async def test_text_streams_in_deltas(fake_model, collect, api):
    fake_model.script(Reply(parts=[Text("Hello from a streamed reply")]))
    deltas, response = await collect(make(fake_model, api), request())
    texts = [d.text for d in deltas if isinstance(d, TextDelta)]
    assert len(texts) == 5 and "".join(texts) == "Hello from a streamed reply"
    assert response.message.text == "Hello from a streamed reply"
    assert response.stop_reason == "end_turn"
    assert fake_model.requests[0].path == endpoint(api)


@pytest.mark.parametrize("api", APIS)
async def test_deltas_are_yielded_while_the_server_is_still_streaming(fake_model, api):
    first_delta = 2 if api == "chat" else 4  # the events before the first word, plus that word
    fake_model.script(Reply(parts=[Text("one two three")], fault=Fault.stall(after_events=first_delta, seconds=30)))
    stream = make(fake_model, api).stream(request())
    first = await anext(stream)
    assert isinstance(first, TextDelta) and first.text == "one "
    await stream.aclose()


@pytest.mark.parametrize("api", APIS)
async def test_a_tool_call_in_several_chunks_is_reassembled(fake_model, collect, api):
    fake_model.script(
        Reply(parts=[Text("Looking."), ToolCall("Read", {"file_path": "src/app.py", "limit": 20}, id="call_fixed")])
    )
    deltas, response = await collect(make(fake_model, api), request(tools=[READ]))
    started = [d for d in deltas if isinstance(d, ToolCallStarted)]
    pieces = [d for d in deltas if isinstance(d, ToolCallInputDelta)]
    assert [(s.call_id, s.name) for s in started] == [("call_fixed", "Read")]
    assert len(pieces) >= 3 and {p.call_id for p in pieces} == {"call_fixed"}
    (call,) = response.message.tool_uses
    assert call.input == {"file_path": "src/app.py", "limit": 20}
    assert response.stop_reason == "tool_use" and response.incomplete_tool_calls == []


@pytest.mark.parametrize("api", APIS)
async def test_usage_counts_cached_tokens_apart_from_input(fake_model, collect, api):
    fake_model.script(
        Reply(parts=[Text("ok")], usage={"input_tokens": 100, "output_tokens": 20, "cache_read": 900, "cache_write": 50})
    )
    _, response = await collect(make(fake_model, api), request())
    u = response.usage
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens) == (100, 20, 900, 50)


async def test_chat_request_asks_for_usage_and_sends_tools(fake_model, collect):
    fake_model.script(Reply(parts=[Text("ok")]))
    await collect(make(fake_model), request(system="Be brief.", tools=[READ], max_tokens=1000, temperature=0.3))
    sent = fake_model.requests[0].json
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["tools"][0] == {
        "type": "function",
        "function": {"name": "Read", "description": "Read a file", "parameters": READ.input_schema},
    }
    assert sent["max_completion_tokens"] == 1000 and sent["temperature"] == 0.3


async def test_reasoning_models_get_an_effort_not_a_temperature(fake_model, collect):
    fake_model.script(Reply(parts=[Text("ok")]), Reply(parts=[Text("ok")]))
    await collect(make(fake_model), request(model="gpt-5", thinking_budget=20000, temperature=0.3))
    await collect(make(fake_model), request(model="gpt-5-codex", thinking_budget=1000))
    chat, responses = (r.json for r in fake_model.requests)
    assert chat["reasoning_effort"] == "high" and "temperature" not in chat
    assert fake_model.requests[1].path == "/v1/responses"  # the catalog routes codex to Responses
    assert responses["reasoning"] == {"effort": "low", "summary": "auto"} and responses["store"] is False


async def test_responses_reasoning_summary_streams_as_thinking(fake_model, collect):
    fake_model.script(Reply(parts=[Thinking("considering the files"), Text("done")]))
    deltas, response = await collect(make(fake_model, "responses"), request())
    assert "".join(d.text for d in deltas if isinstance(d, ThinkingDelta)) == "considering the files"
    assert response.message.content[0].thinking == "considering the files"
    assert response.message.content[0].provider == "openai"


async def test_local_server_uses_max_tokens_and_streams_reasoning_content(fake_model, collect):
    fake_model.script(Reply(parts=[Thinking("hmm let me see"), Text("four")]))
    provider = make(fake_model, name="local")
    deltas, response = await collect(provider, request(model="llama3", max_tokens=300))
    assert "".join(d.text for d in deltas if isinstance(d, ThinkingDelta)) == "hmm let me see"
    assert response.message.text == "four" and response.message.model == "local/llama3"
    sent = fake_model.requests[0].json
    assert sent["max_tokens"] == 300 and "max_completion_tokens" not in sent


@pytest.mark.parametrize("api", APIS)
async def test_a_tool_call_cut_by_length_is_listed_incomplete(fake_model, collect, api):
    fake_model.script(
        Reply(
            parts=[ToolCall("Write", {"file_path": "a.py", "content": "x" * 40})],
            stop_reason="max_tokens",
            truncate_tool_json=True,
        )
    )
    _, response = await collect(make(fake_model, api), request())
    (call,) = response.message.tool_uses
    assert response.stop_reason == "max_tokens"
    assert response.incomplete_tool_calls == [call.id] and call.input == {}


async def test_content_filter_is_a_refusal(fake_model, collect):
    fake_model.script(Reply(parts=[Text("I can")], stop_reason="refusal"))
    _, response = await collect(make(fake_model), request())
    assert response.stop_reason == "refusal"


async def test_a_history_started_on_anthropic_continues_on_openai(fake_model, collect):
    """Anthropic writes the tool call; both OpenAI wires receive a consistent call/result pair."""
    claude = AnthropicProvider("k", base_url=fake_model.base_url)
    fake_model.script(Reply(parts=[Thinking("plan"), Text("Reading it."), ToolCall("Read", {"file_path": "a.txt"})]))
    _, first = await collect(claude, ModelRequest(model="claude-haiku-4-5", messages=[user_text("read a.txt")]))
    call_id = first.message.tool_uses[0].id
    result = Message(
        role="user",
        content=[
            ToolResultBlock(
                tool_use_id=call_id, content=[TextBlock(text="alpha"), ImageBlock(media_type="image/png", data="AAAA")]
            ),
            TextBlock(text="and now?"),
        ],
    )
    history = [user_text("read a.txt"), first.message, result]
    fake_model.script(Reply(parts=[Text("It says alpha.")]), Reply(parts=[Text("It says alpha.")]))
    for api in APIS:
        _, answer = await collect(make(fake_model, api), request(*history, system="sys"))
        assert answer.message.text == "It says alpha."

    chat = fake_model.requests[1].json["messages"]
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "tool", "user"]
    assert chat[2]["content"] == "Reading it."  # thinking is not sent to another provider
    assert chat[2]["tool_calls"] == [
        {"id": call_id, "type": "function", "function": {"name": "Read", "arguments": '{"file_path": "a.txt"}'}}
    ]
    assert chat[3]["tool_call_id"] == call_id and chat[3]["content"].startswith("alpha")
    assert chat[4]["content"][0]["image_url"]["url"] == "data:image/png;base64,AAAA"
    assert chat[4]["content"][1] == {"type": "text", "text": "and now?"}

    items = fake_model.requests[2].json["input"]
    assert fake_model.requests[2].json["instructions"] == "sys"
    kinds = [i.get("type", i.get("role")) for i in items]
    assert kinds == ["user", "assistant", "function_call", "function_call_output", "user"]
    assert items[2]["call_id"] == call_id == items[3]["call_id"]
    assert items[3]["output"][0] == {"type": "input_text", "text": "alpha"}
    assert items[3]["output"][1] == {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}


async def test_an_openai_history_continues_on_anthropic(fake_model, collect):
    fake_model.script(Reply(parts=[Thinking("reasoning"), ToolCall("Read", {"file_path": "b.txt"}, id="call_abc")]))
    _, first = await collect(make(fake_model, "chat"), request(user_text("read b")))
    history = [
        user_text("read b"),
        first.message,
        Message(
            role="user",
            content=[ToolResultBlock(tool_use_id="call_abc", content=[TextBlock(text="beta")], is_error=True)],
        ),
    ]
    fake_model.script(Reply(parts=[Text("beta")]))
    await collect(
        AnthropicProvider("k", base_url=fake_model.base_url), ModelRequest(model="claude-haiku-4-5", messages=history)
    )
    sent = fake_model.requests[1].json["messages"]
    assert sent[1]["content"] == [
        {"type": "tool_use", "id": "call_abc", "name": "Read", "input": {"file_path": "b.txt"}}
    ]
    assert sent[2]["content"][0]["tool_use_id"] == "call_abc" and sent[2]["content"][0]["is_error"] is True


FAULTS = [
    # after 5 events both wires have sent text, so failures there are partial
    # fault, kind, retryable, retry_after, partial
    (Fault.http(429, retry_after=3), "rate_limit", True, 3.0, False),
    (Fault.http(503), "overloaded", True, None, False),
    (Fault.http(500), "server", True, None, False),
    (Fault.http(400, message="bad"), "bad_request", False, None, False),
    (Fault.http(401), "auth", False, None, False),
    (Fault.error_event(after_events=5), "overloaded", True, None, True),
    (Fault.error_event(after_events=5, error_type="rate_limit_exceeded"), "rate_limit", True, None, True),
    (Fault.error_event(after_events=5, error_type="server_error"), "server", True, None, True),
    (Fault.cut(after_events=5), "stream", True, None, True),
    (Fault.no_stop(), "stream", True, None, True),
    (Fault.stall(after_events=5, seconds=30), "stream", True, None, True),
]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "fault,kind,retryable,retry_after,partial", FAULTS, ids=[f"{f.kind}-{k}" for f, k, *_ in FAULTS]
)
async def test_faults_map_to_provider_errors(fake_model, api, fault, kind, retryable, retry_after, partial):
    fake_model.script(Reply(parts=[Text("partial answer that will be lost")], fault=fault))
    with pytest.raises(ProviderError) as caught:
        async for _ in make(fake_model, api, idle_timeout=2.0).stream(request()):
            pass
    err = caught.value
    assert (err.kind, err.retryable, err.partial, err.retry_after) == (kind, retryable, partial, retry_after)
    assert "\n" not in err.message and err.message


@pytest.mark.parametrize("name,variable", [("openai", "OPENAI_API_KEY"), ("local", "CLAW_LOCAL_API_KEY")])
async def test_a_rejected_key_names_the_variable(fake_model, name, variable):
    fake_model.script(Reply(fault=Fault.http(401)))
    with pytest.raises(ProviderError) as caught:
        async for _ in make(fake_model, name=name).stream(request()):
            pass
    assert caught.value.kind == "auth" and variable in caught.value.message and "401" in caught.value.message


async def test_list_models(fake_model):
    assert await make(fake_model, name="local").list_models() == ["llama3", "qwen3-coder"]


@pytest.mark.parametrize("api", APIS)
async def test_the_request_goes_out_exactly_as_claw_built_it(fake_model, collect, api):
    """The body is sent as built (past the SDK's per-request walk of its typed dicts): every field,
    the history with a tool call, its result and an image, the tools, the system prompt."""
    from claw_tui.core.transcript import ToolUseBlock
    from claw_tui.providers.openai import responses_params

    history = [
        user_text("read a.txt"),
        Message(role="assistant", content=[TextBlock(text="Reading."),
                                           ToolUseBlock(id="call_1", name="Read", input={"file_path": "a.txt"})]),
        Message(role="user", content=[ToolResultBlock(tool_use_id="call_1", content=[
            TextBlock(text="alpha"), ImageBlock(media_type="image/png", data="AAAA")])]),
    ]
    fake_model.script(Reply(parts=[Text("ok")]))
    provider = make(fake_model, api)
    built = request(*history, system="sys", tools=[READ], max_tokens=500, temperature=0.2)
    await collect(provider, built)
    expected = provider._chat_params(built, False) if api == "chat" else responses_params(built, False)
    assert fake_model.requests[0].json == {**expected, "stream": True}
