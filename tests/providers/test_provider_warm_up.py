"""A provider's warm-up builds what its SDK builds as a stream's first events arrive (validators and
model classes: 20 ms to a second), so that the first answer does not wait for it on the event loop.

Each SDK builds once per process, so the check runs in a fresh one: warm up, note what is built,
stream a whole answer from the fake server, and list what the stream had to build on top.
"""

from __future__ import annotations

import json
import subprocess
import sys

from fake_model import Reply, Text, Thinking, ToolCall

STREAMS = {"anthropic": "messages", "openai chat": "chat", "openai responses": "responses"}

CHECK = """
import asyncio, json, sys

import anthropic._models
import openai._models
import pydantic

from claw_tui.core.transcript import user_text
from claw_tui.providers.anthropic import AnthropicProvider
from claw_tui.providers.base import ModelRequest, ModelResponse
from claw_tui.providers.openai import OpenAIProvider
from claw_tui.providers.registry import preload_first_request_modules


def built():
    adapters = anthropic._models._CachedTypeAdapter.cache_info().currsize
    adapters += openai._models._CachedTypeAdapter.cache_info().currsize
    classes, todo = set(), [pydantic.BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(("anthropic.", "openai.")) and sub.__pydantic_complete__:
                classes.add(f"{sub.__module__}.{sub.__qualname__}")
    return adapters, classes


async def answer(provider, model):
    events = [e async for e in provider.stream(ModelRequest(model=model, messages=[user_text("hi")]))]
    return events[-1]


base, report = sys.argv[1], {}
providers = {
    "anthropic": (AnthropicProvider("key", base_url=base), "claude-sonnet-5-5"),
    "openai chat": (OpenAIProvider("key", base_url=base + "/v1", api="chat"), "gpt-4.1"),
    "openai responses": (OpenAIProvider("key", base_url=base + "/v1", api="responses"), "gpt-4.1"),
}
for label, (provider, model) in providers.items():
    preload_first_request_modules(provider.name)  # as the agent gets a provider ready
    provider.warm_up(model)
    adapters, classes = built()
    response = asyncio.run(answer(provider, model))
    assert isinstance(response, ModelResponse)
    more_adapters, more_classes = built()
    report[label] = {
        "text": response.message.text,
        "calls": [b.name for b in response.message.tool_uses],
        "built by the stream": sorted(more_classes - classes) + ["a validator"] * (more_adapters - adapters),
    }
print(json.dumps(report))
"""


def test_after_the_warm_up_a_whole_answer_builds_nothing(fake_model):
    fake_model.script(
        *(Reply(parts=[Thinking("Let me look."), Text("Reading it."), ToolCall("Read", {"file_path": "a.py"})])
          for _ in STREAMS)
    )
    run = subprocess.run(
        [sys.executable, "-c", CHECK, fake_model.base_url], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [request.path for request in fake_model.requests] == ["/v1/messages", "/v1/chat/completions", "/v1/responses"]
    for label in STREAMS:
        assert report[label]["text"] == "Reading it." and report[label]["calls"] == ["Read"], report[label]
        assert report[label]["built by the stream"] == [], json.dumps([label, report[label]["built by the stream"]])


def test_the_warm_up_events_are_what_the_sdks_accept():
    """An event the SDK's types reject sends it down a slow path: the Responses event without a field
    its usage requires cost 0.6–1.3 s of warm-up instead of 0.3 s."""
    from anthropic.types import RawContentBlockStopEvent
    from openai.types.chat import ChatCompletionChunk
    from openai.types.responses import ResponseCompletedEvent

    from claw_tui.providers import anthropic, openai

    def data(sse: bytes) -> dict:
        return json.loads(sse.split(b"data: ", 1)[1])

    RawContentBlockStopEvent.model_validate(data(anthropic._STREAM_EVENT))
    ChatCompletionChunk.model_validate(data(openai._CHAT_CHUNK))
    ResponseCompletedEvent.model_validate(data(openai._RESPONSES_EVENT))
