"""The provider host: claw's providers in a process of their own, against the fake model server.

Each test starts a real host (`python -m claw_tui.providers.host`) and compares what comes back with
what the same provider gives in this process: the host must change where a call runs, nothing else.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import aclosing

import pytest
from fake_model import Fault, Reply, Text, ToolCall

from claw_tui.core.transcript import user_text
from claw_tui.providers import remote
from claw_tui.providers.base import ModelRequest, ModelResponse, ProviderError, ToolSpec
from claw_tui.providers.registry import ProviderSpec, build_provider
from claw_tui.providers.remote import ProviderHost

READ = ToolSpec(name="Read", description="Read a file", input_schema={"type": "object", "properties": {}})
MODELS = {"anthropic": "claude-haiku-4-5", "openai": "gpt-4.1-mini"}


def spec(name: str, base_url: str) -> ProviderSpec:
    return ProviderSpec(name, "test-key", base_url + ("/v1" if name == "openai" else ""), 5.0)


def request(name: str) -> ModelRequest:
    return ModelRequest(model=MODELS[name], messages=[user_text("read it")], tools=[READ])


async def streamed(provider, name: str) -> list[dict]:
    """What one call yields, as data: the times and the message id are the call's own."""
    out = []
    async for event in provider.stream(request(name)):
        data = event.model_dump(exclude={"ts"})
        if isinstance(event, ModelResponse):
            data["message"].pop("id")
            data["message"].pop("created_at")
        out.append(data)
    return out


@pytest.fixture
def host():
    started = ProviderHost.start()
    assert started is not None
    yield started
    started.close()


@pytest.mark.parametrize("name", ["anthropic", "openai"])
async def test_the_host_streams_what_the_provider_streams_in_claws_own_process(fake_model, host, name):
    reply = Reply(parts=[Text("Let me look."), ToolCall("Read", {"file_path": "a.py"}, id="call_1")])
    fake_model.script(reply, reply)
    here = await streamed(build_provider(spec(name, fake_model.base_url)), name)
    there = await streamed(await host.provider(spec(name, fake_model.base_url), MODELS[name]), name)
    assert there == here
    assert [e["type"] for e in there][-1] == "model_response" and len(there) > 3


async def test_a_long_conversation_and_a_long_answer_cross_the_host_whole(fake_model, host):
    long_prompt = "word " * 400_000  # 2 MB: a long session's transcript
    long_answer = "token " * 100_000
    fake_model.script(Reply(parts=[Text(long_answer)]))
    remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
    events = [e async for e in remote.stream(ModelRequest(model=MODELS["anthropic"], messages=[user_text(long_prompt)]))]
    assert events[-1].message.text == long_answer
    assert fake_model.requests[-1].json["messages"][0]["content"][0]["text"] == long_prompt


async def test_errors_cross_the_host_as_they_are(fake_model, host):
    faults = [Fault.http(429, retry_after=7), Fault.http(401, message="invalid x-api-key"), Fault.cut(after_events=4)]
    in_process = build_provider(spec("anthropic", fake_model.base_url))
    remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
    for fault in faults:
        errors = []
        for provider in (in_process, remote):
            fake_model.script(Reply(parts=[Text("an answer that will be lost")], fault=fault))
            with pytest.raises(ProviderError) as caught:
                await streamed(provider, "anthropic")
            err = caught.value
            errors.append((err.message, err.kind, err.status, err.retry_after, err.partial))
        assert errors[1] == errors[0], fault
    assert errors[0][1:] == ("stream", None, None, True)  # the cut came mid-stream: some of the answer had come


async def test_a_cancelled_stream_reports_what_it_had_used_and_the_host_carries_on(fake_model, host):
    remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
    fake_model.script(
        Reply(parts=[Text("one two three four")], usage={"input_tokens": 1234}, fault=Fault.stall(after_events=3)),
        Reply(parts=[Text("after")]),
    )
    async with aclosing(remote.stream(request("anthropic"))) as stream:
        first = await anext(stream)
    assert first.text == "one "
    usage = remote.take_cut_short_usage()
    assert usage is not None and usage.input_tokens == 1234
    assert remote.take_cut_short_usage() is None  # once
    after = await streamed(remote, "anthropic")
    assert after[-1]["message"]["content"][0]["text"] == "after"


async def test_a_host_that_dies_fails_its_calls_and_the_next_call_starts_another(fake_model, host):
    remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
    fake_model.script(Reply(parts=[Text("one two three")], fault=Fault.stall(after_events=3)), Reply(parts=[Text("again")]))
    first_host = host._process
    async with aclosing(remote.stream(request("anthropic"))) as stream:
        await anext(stream)
        os.kill(first_host.pid, signal.SIGKILL)
        with pytest.raises(ProviderError) as caught:
            await anext(stream)
    err = caught.value
    assert err.kind == "server" and err.retryable and err.partial
    assert err.message == "claw's provider process was stopped by SIGKILL"
    again = await streamed(remote, "anthropic")
    assert again[-1]["message"]["content"][0]["text"] == "again"
    assert host._process is not first_host and host._process.poll() is None


async def test_a_host_that_hangs_is_stopped_and_the_next_call_starts_another(fake_model, host, monkeypatch):
    monkeypatch.setattr(remote, "HOST_GRACE_S", 0.5)
    quick = ProviderSpec("anthropic", "test-key", fake_model.base_url, 1.0)  # the stream's idle timeout
    provider = await host.provider(quick, MODELS["anthropic"])
    fake_model.script(Reply(parts=[Text("one two three")], token_delay=0.3), Reply(parts=[Text("again")]))
    hung = host._process
    async with aclosing(provider.stream(request("anthropic"))) as stream:
        await anext(stream)
        os.kill(hung.pid, signal.SIGSTOP)  # alive, and silent
        started = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            async for _ in stream:
                pass
    assert time.monotonic() - started < 5
    err = caught.value
    assert (err.kind, err.retryable, err.partial) == ("stream", True, True)
    assert err.message == "claw's provider process gave no answer for 2 s; claw stopped it"
    assert hung.wait(timeout=5) == -signal.SIGKILL
    again = await streamed(provider, "anthropic")
    assert again[-1]["message"]["content"][0]["text"] == "again"


async def test_models_and_web_search_as_the_provider_has_them(fake_model, host):
    for name in ("anthropic", "openai", "local"):
        made = spec(name, fake_model.base_url)
        here, there = build_provider(made), await host.provider(made, "some-model")
        assert (there.web_searcher is None) == (here.web_searcher is None), name
    remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
    assert await remote.list_models() == await build_provider(spec("anthropic", fake_model.base_url)).list_models()


async def test_the_host_imports_nothing_from_the_project_folder(fake_model, tmp_path, monkeypatch):
    """A repository's json.py or socket.py is not claw's: the host runs with the project as its folder."""
    for module in ("json", "socket", "asyncio"):
        (tmp_path / f"{module}.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'a').write('{module}')\n")
    monkeypatch.chdir(tmp_path)
    host = ProviderHost.start()
    assert host is not None
    try:
        fake_model.script(Reply(parts=[Text("fine")]))
        remote = await host.provider(spec("anthropic", fake_model.base_url), MODELS["anthropic"])
        assert (await streamed(remote, "anthropic"))[-1]["message"]["content"][0]["text"] == "fine"
    finally:
        host.close()
    assert not (tmp_path / "ran").exists()
