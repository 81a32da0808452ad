"""Compaction over HTTP: the summary is written by the model, shown, editable and stored."""

from __future__ import annotations

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.engine import compaction
from claw_tui.engine.sessions import SessionStore


async def _three_turns(agent, fake_model, tmp_path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    fake_model.script(
        Reply(parts=[ToolCall("TaskCreate", {"subject": "Fix the greeting", "description": "say hello"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "app.py"})]),
        Reply(parts=[Text("Read it.")]),
        Reply(parts=[Text("Second answer.")]),
        Reply(parts=[Text("Third answer.")]),
    )
    await run(agent, "first: look at app.py")
    await run(agent, "second question")
    await run(agent, "third question")


async def test_manual_compact_summarises_older_turns_and_keeps_the_tail(tmp_path, fake_model):
    store = SessionStore.open(tmp_path / "s.db")
    agent = make_agent(tmp_path, fake_model.base_url, store=store)
    await _three_turns(agent, fake_model, tmp_path)
    stored_before = len(store.messages(agent.session_id))

    fake_model.script(Reply(parts=[Text("Goal: fix the greeting in app.py.")]))
    events = [e async for e in agent.compact("focus on the greeting")]
    summary_request = fake_model.requests[-1].json
    assert "summarising a coding session" in str(summary_request["system"])
    assert "focus on the greeting" in str(summary_request["messages"][-1])
    assert "third question" not in str(summary_request["messages"]), "the kept tail is not summarised"

    (done,) = of_type(events, ev.Compacted)
    assert done.trigger == "manual" and done.kept_messages > 0
    assert "Goal: fix the greeting" in done.summary
    assert "#1 [pending] Fix the greeting" in done.summary, "open tasks survive compaction"
    assert "app.py" in done.summary, "touched files are listed"
    first = agent.transcript[0]
    assert first.is_compaction_summary and first.id == done.summary_message_id
    prompts = [m.text for m in agent.transcript[1:] if m.role == "user" and not m.tool_results]
    assert prompts[-1] == "third question", "the latest turn stays verbatim"
    # The store keeps everything before the boundary and the Compacted event.
    assert len(store.messages(agent.session_id)) > stored_before
    assert store.events(agent.session_id, {"compacted"})

    # A fork from the summary on knows the copies after it for what they are: the compaction
    # is stored right after its summary, not after the copies.
    messages = store.messages(agent.session_id)
    at = next(i for i, m in enumerate(messages) if m.is_compaction_summary)
    fork = store.fork(agent.session_id, at + 1)
    assert [e["summary_message_id"] for e in store.events(fork, {"compacted"})] == [done.summary_message_id]

    # The next request starts from the summary.
    fake_model.script(Reply(parts=[Text("ok")]))
    await run(agent, "fourth")
    sent = fake_model.requests[-1].json["messages"]
    assert "Goal: fix the greeting" in str(sent[0]) and "first: look at app.py" not in str(sent)


async def test_an_edited_summary_is_what_the_model_sees_and_survives_a_resume(tmp_path, fake_model):
    store = SessionStore.open(tmp_path / "s.db")
    agent = make_agent(tmp_path, fake_model.base_url, store=store)
    await _three_turns(agent, fake_model, tmp_path)
    fake_model.script(Reply(parts=[Text("A summary with a mistake.")]))
    done = of_type([e async for e in agent.compact()], ev.Compacted)[0]
    assert compaction.edit_summary(agent, done.summary_message_id, "The corrected summary.")

    agent.release_session()  # the first claw has gone: the session is free to resume
    resumed = make_agent(tmp_path, fake_model.base_url, store=store)
    resumed.load_session(agent.session_id)
    assert resumed.transcript[0].text == "The corrected summary."
    fake_model.script(Reply(parts=[Text("ok")]))
    await run(resumed, "go on")
    sent = str(fake_model.requests[-1].json["messages"])
    assert "The corrected summary." in sent and "A summary with a mistake." not in sent


async def test_auto_compaction_runs_near_the_window(tmp_path, fake_model):
    # A tiny threshold stands in for a long session: any context is "near" the window.
    agent = make_agent(tmp_path, fake_model.base_url, settings={"compaction": {"threshold": 0.000001}})
    agent.settings.compaction.auto = False
    await _three_turns(agent, fake_model, tmp_path)
    agent.settings.compaction.auto = True
    fake_model.script(Reply(parts=[Text("Auto summary.")]), Reply(parts=[Text("after")]))
    events = await run(agent, "fourth")
    (done,) = of_type(events, ev.Compacted)
    assert done.trigger == "auto"
    assert "Auto summary." in str(fake_model.requests[-1].json["messages"][0])
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"


def test_a_stopped_turn_counts_as_part_of_its_turn_not_as_a_prompt():
    """Keeping the last two turns keeps the one the user stopped whole: its marker starts no turn."""
    from claw_tui.core.transcript import Message, TextBlock, interruption, user_text

    def answer(text: str) -> Message:
        return Message(role="assistant", content=[TextBlock(text=text)])

    messages = [
        user_text("first " * 200), answer("one " * 200),
        user_text("second"), answer("cut"), interruption(during_tool_use=False),
        user_text("third"), answer("three"),
    ]
    assert compaction.split_point(messages, keep_turns=2) == 2
