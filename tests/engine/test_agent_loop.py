"""The agent loop over HTTP: the real SDKs against the scripted fake model server."""

from __future__ import annotations

import asyncio

import pytest
from agent_harness import ProbeRead, ProbeWrite, ScriptedApprover, Timeline, make_agent, of_type, run
from fake_model import Fault, Reply, Text, Thinking, ToolCall

from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalResponse
from claw_tui.core.transcript import INTERRUPTED, INTERRUPTED_FOR_TOOL_USE


def _roles(request_json: dict) -> list[str]:
    return [m["role"] for m in request_json["messages"]]


async def test_text_turn_streams_and_records_the_transcript(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("Hello there, how can I help today?")]))
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "hi")
    deltas = of_type(events, ev.TextDelta)
    assert len(deltas) > 1, "text should arrive in several deltas"
    assert "".join(d.text for d in deltas) == "Hello there, how can I help today?"
    assert isinstance(events[0], ev.TurnStarted)
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"
    assert [m.role for m in agent.transcript] == ["user", "assistant"]
    assert agent.transcript[1].model == "anthropic/claude-sonnet-4-5"
    usage = of_type(events, ev.Usage)
    assert usage and usage[0].output_tokens > 0 and usage[0].cost_usd is not None


async def test_tool_call_result_goes_back_to_the_model(tmp_path, fake_model):
    (tmp_path / "notes.txt").write_text("the secret is 42\n")
    fake_model.script(
        Reply(parts=[Text("Let me look."), ToolCall("Read", {"file_path": "notes.txt"})]),
        Reply(parts=[Text("The secret is 42.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default")
    events = await run(agent, "what is the secret?")
    finished = of_type(events, ev.ToolCallFinished)
    assert [f.status for f in finished] == ["done"]
    decided = of_type(events, ev.PermissionDecided)
    assert decided[0].behavior == "allow" and "mode default" in decided[0].decided_by
    second = fake_model.requests[1].json
    results = [b for b in second["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert "the secret is 42" in str(results[0]["content"])
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"


async def test_read_only_calls_run_concurrently_and_writes_in_order(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(
            parts=[
                ToolCall("ProbeRead", {"label": "r1", "seconds": 0.4}),
                ToolCall("ProbeRead", {"label": "r2", "seconds": 0.4}),
                ToolCall("ProbeRead", {"label": "r3", "seconds": 0.4}),
                ToolCall("ProbeWrite", {"label": "w1", "seconds": 0.1}),
                ToolCall("ProbeWrite", {"label": "w2", "seconds": 0.0}),
            ]
        ),
        Reply(parts=[Text("done")]),
    )
    agent = make_agent(
        tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline), ProbeWrite(timeline)]
    )
    await run(agent, "probe")
    spans = timeline.spans
    latest_start = max(spans[k][0] for k in ("r1", "r2", "r3"))
    earliest_end = min(spans[k][1] for k in ("r1", "r2", "r3"))
    assert latest_start < earliest_end, "the three read-only calls should overlap"
    assert spans["w1"][0] >= max(spans[k][1] for k in ("r1", "r2", "r3"))
    assert spans["w1"][1] <= spans["w2"][0], "writes run one after another, in order"
    results = agent.transcript[2].tool_results
    assert [r.tool_use_id for r in results] == [u.id for u in agent.transcript[1].tool_uses]


async def test_max_turns_stops_the_loop(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(*[Reply(parts=[ToolCall("ProbeRead", {"label": f"p{i}"})]) for i in range(3)])
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)], settings={"max_turns": 2})
    events = await run(agent, "loop")
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "max_turns"
    assert len(fake_model.requests) == 2


async def test_cancel_mid_stream_keeps_partial_text_and_next_turn_works(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[Text("one two three four five six seven eight nine ten")], token_delay=0.15),
        Reply(parts=[Text("fine")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    seen: list[str] = []

    async def consume():
        async for e in agent.run_turn("count"):
            if isinstance(e, ev.TextDelta):
                seen.append(e.text)

    task = asyncio.create_task(consume())
    while len(seen) < 2:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert agent.transcript[-2].role == "assistant"
    assert agent.transcript[-2].text == "".join(seen)
    assert agent.transcript[-1].text == INTERRUPTED, "Claude Code's marker follows the cut answer"
    events = await run(agent, "again")
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"
    sent = fake_model.requests[-1].json["messages"]
    assert _roles(fake_model.requests[-1].json) == ["user", "assistant", "user"]
    assert sent[1]["content"][0]["text"] == "".join(seen)
    assert [b["text"] for b in sent[2]["content"]] == [INTERRUPTED, "again"], "the model is told it was stopped"


async def test_cancel_during_a_tool_answers_the_call_as_cancelled(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[ToolCall("ProbeRead", {"label": "slow", "seconds": 30})]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])

    async def consume():
        async for e in agent.run_turn("go"):
            if isinstance(e, ev.ToolCallRunning):
                started.set()

    started = asyncio.Event()
    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    last = agent.transcript[-1]
    assert last.role == "user" and last.tool_results[0].is_error
    assert "Cancelled" in last.tool_results[0].text
    assert last.text == INTERRUPTED_FOR_TOOL_USE, "a stop during a tool is marked as Claude Code marks it"
    await run(agent, "next")
    sent = fake_model.requests[-1].json["messages"]
    assert [b.get("text") for b in sent[-1]["content"] if b["type"] == "text"] == [INTERRUPTED_FOR_TOOL_USE, "next"]
    tool_use_ids = {b["id"] for m in sent for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_use"}
    answered = {
        b["tool_use_id"] for m in sent for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result"
    }
    assert tool_use_ids and tool_use_ids <= answered


@pytest.mark.parametrize(
    "fault",
    [
        Fault.http(429, retry_after=0),
        Fault.http(529),
        Fault.http(500),
        Fault.http(502),
        Fault.http(503),
        Fault.error_event(after_events=3),
        Fault.cut(after_events=3),
        Fault.no_stop(after_events=4),
        Fault.stall(after_events=3, seconds=5),
    ],
    ids=["429", "529", "500", "502", "503", "error-event", "cut", "no-stop", "stall"],
)
async def test_transient_failures_are_retried(tmp_path, fake_model, fault):
    fake_model.script(
        Reply(parts=[Text("partial answer that will be lost")], fault=fault),
        Reply(parts=[Text("complete answer")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"stream_idle_timeout": 0.5})
    events = await run(agent, "hi")
    retries = of_type(events, ev.Retrying)
    assert len(retries) == 1 and retries[0].reason
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"
    assert agent.transcript[-1].text == "complete answer"
    assert not of_type(events, ev.Error)


async def test_retry_after_is_honoured(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("x")], fault=Fault.http(429, retry_after=1)), Reply(parts=[Text("ok")]))
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "hi")
    assert of_type(events, ev.Retrying)[0].delay_s == pytest.approx(1.0)


async def test_a_long_retry_after_is_reported_not_slept_on(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("x")], fault=Fault.http(429, retry_after=3600)))
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "hi")
    errors = of_type(events, ev.Error)
    assert errors and "3600" in errors[0].message
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "error"
    assert len(fake_model.requests) == 1


@pytest.mark.parametrize("status,hint", [(400, ""), (401, "ANTHROPIC_API_KEY")])
async def test_client_errors_are_not_retried_and_say_what_to_fix(tmp_path, fake_model, status, hint):
    fake_model.script(Reply(parts=[Text("x")], fault=Fault.http(status, message="bad thing")))
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "hi")
    assert len(fake_model.requests) == 1
    assert not of_type(events, ev.Retrying)
    error = of_type(events, ev.Error)[0]
    assert hint in error.message and str(status) in error.message


async def test_a_tool_call_never_runs_twice_across_a_retry(tmp_path, fake_model):
    timeline = Timeline()
    call = ToolCall("ProbeRead", {"label": "once"})
    fake_model.script(
        Reply(parts=[Text("working"), call], fault=Fault.cut(after_events=6)),
        Reply(parts=[Text("working"), ToolCall("ProbeRead", {"label": "once"})]),
        Reply(parts=[Text("done")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "go")
    assert of_type(events, ev.Retrying)
    assert timeline.runs == ["once"]


async def test_a_tool_call_cut_by_max_tokens_is_not_run(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[ToolCall("ProbeRead", {"label": "cut"})], stop_reason="max_tokens", truncate_tool_json=True),
        Reply(parts=[Text("I will try again")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "go")
    assert timeline.runs == []
    result = agent.transcript[2].tool_results[0]
    assert result.is_error and "did not arrive complete" in result.text
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"


async def test_malformed_tool_input_goes_back_as_an_error(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"path": "x"})]),
        Reply(parts=[ToolCall("NoSuchTool", {})]),
        Reply(parts=[Text("sorry")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "go")
    first, second = agent.transcript[2].tool_results[0], agent.transcript[4].tool_results[0]
    assert first.is_error and "Invalid input for Read" in first.text and "file_path" in first.text
    assert second.is_error and "Unknown tool" in second.text
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"


async def test_switching_provider_between_turns_keeps_the_history(tmp_path, fake_model):
    (tmp_path / "a.txt").write_text("alpha\n")
    fake_model.script(
        Reply(parts=[Thinking("hmm"), ToolCall("Read", {"file_path": "a.txt"})]),
        Reply(parts=[Text("It says alpha.")]),
        Reply(parts=[Text("Still alpha.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    await run(agent, "read a.txt")
    agent.set_model("openai/gpt-5")
    events = await run(agent, "and now?")
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"
    last = fake_model.requests[-1]
    assert last.path.endswith(("/chat/completions", "/responses"))
    dumped = str(last.json)
    assert "alpha" in dumped and "read a.txt" in dumped and "and now?" in dumped
    assert agent.transcript[-1].model == "openai/gpt-5"


async def test_denied_write_is_reported_to_the_model_with_the_users_note(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "new.txt", "content": "hello\n"})]),
        Reply(parts=[Text("ok")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="deny", note="not that file"))
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", approver=approver)
    events = await run(agent, "write it")
    assert not (tmp_path / "new.txt").exists()
    assert approver.requests[0].changes and approver.requests[0].changes[0].after == "hello\n"
    result = agent.transcript[2].tool_results[0]
    assert result.is_error and result.text == (
        "Permission to use Write was denied by the user; nothing was run or written. The user says: not that file")
    assert [f.status for f in of_type(events, ev.ToolCallFinished)] == ["denied"]


async def test_a_denial_without_a_word_tells_the_model_to_wait_for_the_user(tmp_path, fake_model):
    fake_model.script(Reply(parts=[ToolCall("Write", {"file_path": "new.txt", "content": "hello\n"})]),
                      Reply(parts=[Text("ok")]))
    agent = make_agent(tmp_path, fake_model.base_url, mode="default",
                       approver=ScriptedApprover(ApprovalResponse(behavior="deny")))
    await run(agent, "write it")
    assert agent.transcript[2].tool_results[0].text == (
        "Permission to use Write was denied by the user; nothing was run or written. "
        "Stop here and wait for the user to say how to go on.")


async def test_remembered_approval_adds_a_session_rule(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "1\n"})]),
        Reply(parts=[ToolCall("Write", {"file_path": "b.txt", "content": "2\n"})]),
        Reply(parts=[Text("ok")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="allow", remember=True))
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", approver=approver)
    events = await run(agent, "write both")
    assert (tmp_path / "a.txt").read_text() == "1\n" and (tmp_path / "b.txt").read_text() == "2\n"
    assert len(approver.requests) == 1, "the second write is allowed by the remembered rule"
    decided = of_type(events, ev.PermissionDecided)
    assert "session" in decided[1].decided_by


async def test_the_shell_keeps_its_directory_exports_and_background_jobs_across_calls(tmp_path, fake_model):
    (tmp_path / "sub").mkdir()
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "cd sub && export GREETING=hello"})]),
        Reply(parts=[ToolCall("Bash", {"command": "pwd; echo $GREETING"})]),
        Reply(parts=[ToolCall("Bash", {"command": "echo from-the-background", "run_in_background": True})]),
        Reply(parts=[ToolCall("TaskOutput", {"task_id": "bash_1", "block": True, "timeout": 10000})]),
        Reply(parts=[Text("done")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    try:
        events = await run(agent, "go")
    finally:
        await agent.aclose()
    finished = of_type(events, ev.ToolCallFinished)
    assert [f.status for f in finished] == ["done"] * 4
    second = _result_text(fake_model.requests[2].json)
    assert str(tmp_path / "sub") in second and "hello" in second
    assert "from-the-background" in _result_text(fake_model.requests[4].json)


def _result_text(request_json: dict) -> str:
    blocks = [b for b in request_json["messages"][-1]["content"] if b["type"] == "tool_result"]
    return str(blocks[0]["content"])
