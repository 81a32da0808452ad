"""Engine side of a daily driver's first minutes: a local server found by itself, resuming as it was."""

from __future__ import annotations

import os
import time

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import background_imports
from claw_tui.core import events as ev


async def test_a_local_model_without_an_address_is_found_on_the_usual_ports(tmp_path, fake_model, monkeypatch):
    """Headless too: `local/qwen3-coder` with no base URL set goes to the server that serves it."""
    fake_model.script(Reply(parts=[Text("found you")]))
    agent = make_agent(tmp_path, fake_model.base_url, model="local/qwen3-coder")
    monkeypatch.delenv("CLAW_LOCAL_BASE_URL")
    monkeypatch.delenv("CLAW_NO_LOCAL_DISCOVERY")
    registry = await background_imports.imported("claw_tui.providers.registry")
    monkeypatch.setattr(registry, "LOCAL_PORTS", (fake_model.port,))
    events = await run(agent, "hello")
    assert not of_type(events, ev.Error)
    assert agent.local_base_url == fake_model.base_url + "/v1"
    assert fake_model.requests[-1].path.startswith("/v1/chat/completions")
    assert agent.transcript[-1].text == "found you"


async def test_a_resumed_session_keeps_its_model_and_what_its_model_had_read(tmp_path, fake_model):
    """After `-c`: the session's model answers, a file it read edits at once, one changed since is named so."""
    from claw_tui.engine.sessions import SessionStore

    (tmp_path / "hello.py").write_text("print('hi')\n")
    (tmp_path / "other.py").write_text("x = 1\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "hello.py"}), ToolCall("Read", {"file_path": "other.py"})]),
        Reply(parts=[Text("read both")]),
        Reply(parts=[
            ToolCall("Edit", {"file_path": "hello.py", "old_string": "hi", "new_string": "hello"}),
            ToolCall("Edit", {"file_path": "other.py", "old_string": "1", "new_string": "2"}),
        ]),
        Reply(parts=[Text("done")]),
    )
    store = SessionStore.open()
    first = make_agent(tmp_path, fake_model.base_url, model="openai/gpt-5", store=store)
    await run(first, "read them")
    await first.aclose()  # the first claw is gone: the session is free to resume
    later = time.time() + 5
    (tmp_path / "other.py").write_text("x = 10\n")  # someone changed it after the model read it
    os.utime(tmp_path / "other.py", (later, later))

    resumed = make_agent(tmp_path, fake_model.base_url, store=store)
    resumed.load_session(first.session_id)
    assert resumed.model == "openai/gpt-5"
    events = await run(resumed, "edit them")
    outcome = {e.output.split(":")[0]: e.status for e in of_type(events, ev.ToolCallFinished)}
    assert (tmp_path / "hello.py").read_text() == "print('hello')\n"
    assert (tmp_path / "other.py").read_text() == "x = 10\n"
    failed = [e.output for e in of_type(events, ev.ToolCallFinished) if e.status == "failed"]
    assert len(failed) == 1 and "modified since read" in failed[0] and "other.py" in failed[0], outcome
    assert fake_model.requests[-1].path.startswith("/v1/"), "the session's OpenAI model answered"


async def test_a_model_switched_to_after_the_last_answer_is_the_resumed_sessions_model(tmp_path, fake_model):
    """/model, then quit before any turn on it: `claw -c` went back to the model of the last answer."""
    from claw_tui.engine.sessions import SessionStore

    fake_model.script(Reply(parts=[Text("first")]), Reply(parts=[Text("second")]))
    store = SessionStore.open()
    first = make_agent(tmp_path, fake_model.base_url, store=store)
    await run(first, "hello")
    first.set_model("openai/gpt-5")
    await first.aclose()
    resumed = make_agent(tmp_path, fake_model.base_url, store=store)
    resumed.load_session(first.session_id)
    assert resumed.model == "openai/gpt-5"
    await run(resumed, "go on")  # answered by the model switched to
    assert fake_model.requests[-1].path.startswith("/v1/chat/completions")
    resumed.set_model("anthropic/claude-sonnet-4-5")
    resumed.set_model("openai/gpt-5")  # and back, with no turn between
    await resumed.aclose()
    again = make_agent(tmp_path, fake_model.base_url, model="anthropic/claude-haiku-4-5", store=store)
    again.load_session(first.session_id)
    assert again.model == "openai/gpt-5"
