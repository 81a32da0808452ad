"""Subagents over HTTP: the real SDKs against the fake model server, replies routed per child.

Each child's prompt carries a tag like "[a]"; `Reply(when="[a]")` answers only requests whose
first user message holds it, so concurrent children get their own scripts deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path

import pytest
from agent_harness import ProbeRead, ScriptedApprover, Timeline, make_agent, of_type, run
from fake_model import Fault, Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalResponse
from claw_tui.core.transcript import repair
from claw_tui.engine.subagents import resolve_model


def _spawn(tag: str, **extra: object) -> ToolCall:
    return ToolCall(
        "Agent",
        {"description": f"job {tag}", "prompt": f"[{tag}] do job {tag}", **extra},
        id=f"toolu_{tag}",
    )


def _child_script(tag: str, seconds: float, text: str) -> list[Reply]:
    return [
        Reply(parts=[ToolCall("ProbeRead", {"label": tag, "seconds": seconds})], when=f"[{tag}]"),
        Reply(parts=[Text(text)], when=f"[{tag}]"),
    ]


def _finished(events: list, agent_id: str | None, name: str | None = None) -> list[ev.ToolCallFinished]:
    return [
        e for e in of_type(events, ev.ToolCallFinished) if e.agent_id == agent_id and (name is None or e.name == name)
    ]


def _consistent(transcript: list) -> bool:
    return [m.model_dump() for m in repair(transcript)] == [m.model_dump() for m in transcript]


async def test_three_children_run_concurrently_and_report(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("a"), _spawn("b"), _spawn("c")]),
        *_child_script("a", 0.4, "report A"),
        *_child_script("b", 0.4, "report B"),
        *_child_script("c", 0.4, "report C"),
        Reply(parts=[Text("All three reported.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "run three jobs")

    spans = timeline.spans
    assert max(s[0] for s in spans.values()) < min(s[1] for s in spans.values()), "the children overlap"
    manager = agent.subagents
    children = [manager.get(f"toolu_{t}") for t in "abc"]
    assert max(c.started_at for c in children) < min(c.finished_at for c in children)
    assert [c.status for c in children] == ["completed"] * 3

    results = {r.tool_use_id: r.text for r in agent.transcript[2].tool_results}
    assert results == {"toolu_a": "report A", "toolu_b": "report B", "toolu_c": "report C"}
    # The children's own tool calls reach the parent's stream, marked with the child's id.
    for tag in "abc":
        probe = _finished(events, f"toolu_{tag}", "ProbeRead")
        assert [p.status for p in probe] == ["done"]
    # Cost rolls up: the parent's meter holds every request's cost, its own and the children's.
    usage = of_type(events, ev.Usage)
    assert {u.agent_id for u in usage} == {None, "toolu_a", "toolu_b", "toolu_c"}
    assert agent.total_cost_usd == pytest.approx(sum(u.cost_usd for u in usage))
    assert all(c.cost_usd > 0 for c in children)
    # Each child is a task owned by it, completed.
    tasks = {t.owner: t for t in agent.task_graph.list()}
    assert set(tasks) == {"toolu_a", "toolu_b", "toolu_c"}
    assert {t.status for t in tasks.values()} == {"completed"}
    assert tasks["toolu_a"].metadata["agent_status"] == "completed"
    assert agent.transcript[-1].text == "All three reported."


async def test_concurrency_is_capped(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("a"), _spawn("b"), _spawn("c")]),
        *_child_script("a", 0.3, "A"),
        *_child_script("b", 0.3, "B"),
        *_child_script("c", 0.3, "C"),
        Reply(parts=[Text("done")]),
    )
    agent = make_agent(
        tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)], settings={"agents": {"max_concurrent": 2}}
    )
    await run(agent, "go")
    children = agent.subagents.list()
    assert [c.status for c in children] == ["completed"] * 3
    spans = timeline.spans.values()
    assert max(s[0] for s in spans) >= min(s[1] for s in spans), "never three children at once"
    starts = sorted(s[0] for s in spans)
    assert starts[1] < min(s[1] for s in spans), "but two at once"


async def test_a_failing_child_does_not_stop_its_siblings(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("a"), _spawn("b"), _spawn("c")]),
        *_child_script("a", 0.2, "report A"),
        Reply(fault=Fault.http(400, message="child b: bad request"), when="[b]"),
        *_child_script("c", 0.2, "report C"),
        Reply(parts=[Text("Two of three worked.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "go")
    parent_calls = {e.call_id: e for e in _finished(events, None, "Agent")}
    assert parent_calls["toolu_a"].status == "done" and parent_calls["toolu_a"].output == "report A"
    assert parent_calls["toolu_c"].status == "done"
    failed = parent_calls["toolu_b"]
    assert failed.status == "failed" and failed.is_error
    assert "failed" in failed.output and "child b: bad request" in failed.output
    manager = agent.subagents
    assert [manager.get(f"toolu_{t}").status for t in "abc"] == ["completed", "failed", "completed"]
    task_b = next(t for t in agent.task_graph.list() if t.owner == "toolu_b")
    assert task_b.status == "pending" and task_b.metadata["agent_status"] == "failed"
    assert "bad request" in task_b.metadata["error"]
    assert of_type(events, ev.TurnFinished)[-1].stop_reason == "end_turn"


async def test_cancel_mid_swarm_cancels_the_children(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("a"), _spawn("b"), _spawn("c")]),
        *_child_script("a", 60, "never"),
        *_child_script("b", 60, "never"),
        *_child_script("c", 60, "never"),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])
    events: list = []
    running: set[str] = set()
    all_running = asyncio.Event()

    async def consume() -> None:
        async for event in agent.run_turn("go"):
            events.append(event)
            if isinstance(event, ev.ToolCallRunning) and event.agent_id:
                running.add(event.agent_id)
                if len(running) == 3:
                    all_running.set()

    task = asyncio.create_task(consume())
    await all_running.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    manager = agent.subagents
    children = manager.list()
    assert [c.status for c in children] == ["cancelled"] * 3
    assert all(c.done.is_set() for c in children)
    assert timeline.spans == {}, "no probe ran to its end"
    # Every transcript is valid as it stands: each tool call has its (cancelled) result.
    assert _consistent(agent.transcript)
    results = agent.transcript[-1].tool_results
    assert sorted(r.tool_use_id for r in results) == ["toolu_a", "toolu_b", "toolu_c"]
    assert all(r.is_error for r in results)
    for child in children:
        assert _consistent(child.agent.transcript)
        assert child.agent.transcript[-1].tool_results, "the child's probe call is answered"
    assert {t.metadata["agent_status"] for t in agent.task_graph.list()} == {"cancelled"}
    assert {t.status for t in agent.task_graph.list()} == {"pending"}
    assert {e.agent_id for e in events if e.agent_id} == {"toolu_a", "toolu_b", "toolu_c"}


async def test_dependency_cycle_with_an_agent_task_is_refused(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[_spawn("a")]),
        Reply(parts=[Text("found it")], when="[a]"),
        Reply(
            parts=[
                ToolCall("TaskCreate", {"subject": "Integrate", "description": "use what the agent found"}),
                ToolCall("TaskUpdate", {"taskId": "2", "addBlockedBy": ["1"]}),
                ToolCall("TaskUpdate", {"taskId": "1", "addBlockedBy": ["2"]}),
            ]
        ),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default")
    events = await run(agent, "plan")
    updates = _finished(events, None, "TaskUpdate")
    assert [u.status for u in updates] == ["done", "failed"]
    assert "cycle" in updates[1].output and "#2 → #1 → #2" in updates[1].output
    graph = agent.task_graph
    assert graph.get("1").owner == "toolu_a" and graph.get("1").blocked_by == set()
    assert graph.get("2").blocked_by == {"1"}


async def test_background_child_reports_through_task_output_and_takes_messages(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("bg", run_in_background=True)]),
        Reply(parts=[ToolCall("ProbeRead", {"label": "bg", "seconds": 0.3})], when="[bg]"),
        Reply(parts=[Text("first report")], when="[bg]"),
        Reply(
            parts=[
                ToolCall("SendMessage", {"to": "toolu_bg", "message": "also check the tests"}),
                ToolCall("TaskOutput", {"task_id": "toolu_bg", "timeout": 60000}),
            ]
        ),
        Reply(parts=[Text("second report: tests checked")], when="[bg]"),
        Reply(parts=[Text("Done.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", extra_tools=[ProbeRead(timeline)])
    manager = agent.subagents
    seen: list = []
    manager.subscribe(seen.append)
    events = await run(agent, "start a background job")

    started = _finished(events, None, "Agent")[0]
    assert started.status == "done" and "Started agent toolu_bg" in started.output
    send = _finished(events, None, "SendMessage")[0]
    assert send.status == "done" and "toolu_bg" in send.output
    output = _finished(events, None, "TaskOutput")[0]
    assert output.status == "done" and output.output.startswith("second report: tests checked")
    child = manager.get("toolu_bg")
    assert child.status == "completed" and child.report == "second report: tests checked"
    last_child_request = [r.json for r in fake_model.requests if "[bg]" in str(r.json["messages"][0])][-1]
    assert "Message from the main agent:\\nalso check the tests" in str(last_child_request["messages"])
    # A background child's events go to the manager's listeners, not the turn stream.
    assert {e.agent_id for e in seen} == {"toolu_bg"}
    assert any(isinstance(e, ev.ToolCallFinished) and e.name == "ProbeRead" for e in seen)
    assert not [e for e in events if e.agent_id == "toolu_bg"]


async def test_close_stops_background_children(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("bg", run_in_background=True)]),
        Reply(parts=[ToolCall("ProbeRead", {"label": "bg", "seconds": 60})], when="[bg]"),
        Reply(parts=[Text("started it")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, extra_tools=[ProbeRead(timeline)])
    manager = agent.subagents
    await run(agent, "go")
    child = manager.get("toolu_bg")
    while "bg" not in timeline.runs:
        await asyncio.sleep(0.01)
    assert child.status == "running"
    await agent.aclose()
    assert child.status == "cancelled" and child.done.is_set()
    assert _consistent(child.agent.transcript)


async def test_task_stop_stops_a_background_child(tmp_path, fake_model):
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("bg", run_in_background=True, name="sleeper")]),
        Reply(parts=[ToolCall("ProbeRead", {"label": "bg", "seconds": 60})], when="[bg]"),
        Reply(parts=[ToolCall("TaskStop", {"task_id": "sleeper"}), ToolCall("TaskOutput", {"task_id": "toolu_bg"})]),
        Reply(parts=[ToolCall("SendMessage", {"to": "nobody", "message": "hi"})]),
        Reply(parts=[Text("stopped")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "go")
    stop, output = _finished(events, None, "TaskStop")[0], _finished(events, None, "TaskOutput")[0]
    assert stop.status == "done" and stop.output == "Stopped agent toolu_bg (general-purpose: job bg)."
    assert output.is_error and "cancelled" in output.output
    send = _finished(events, None, "SendMessage")[0]
    assert send.is_error and "No agent 'nobody'. Agents: toolu_bg (general-purpose: job bg)" in send.output
    assert agent.subagents.get("sleeper").status == "cancelled"
    assert "bg" not in timeline.spans


def test_model_aliases_follow_the_parent_provider():
    assert resolve_model(None, "anthropic/claude-sonnet-4-5") == "anthropic/claude-sonnet-4-5"
    assert resolve_model("inherit", "openai/gpt-5") == "openai/gpt-5"
    assert resolve_model("haiku", "anthropic/claude-sonnet-4-5") == "anthropic/claude-haiku-5-5"
    assert resolve_model("opus", "anthropic/claude-sonnet-4-5").startswith("anthropic/claude-opus-")
    assert resolve_model("haiku", "openai/gpt-5") == "openai/gpt-5"
    assert resolve_model("openai/gpt-5-mini", "anthropic/claude-sonnet-4-5") == "openai/gpt-5-mini"


# --- worktree isolation ---------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout


def _repo(path: Path) -> Path:
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "shared.txt").write_text("base line\n")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "init")
    return path


def _edit_script(tag: str, new: str, seconds: float = 0.0) -> list[Reply]:
    return [
        Reply(parts=[ToolCall("Read", {"file_path": "shared.txt"})], when=f"[{tag}]"),
        Reply(parts=[ToolCall("ProbeRead", {"label": tag, "seconds": seconds})], when=f"[{tag}]"),
        Reply(
            parts=[ToolCall("Edit", {"file_path": "shared.txt", "old_string": "base line", "new_string": new})],
            when=f"[{tag}]",
        ),
        Reply(parts=[Text(f"{tag} edited shared.txt")], when=f"[{tag}]"),
    ]


async def test_two_worktree_children_editing_one_file_surface_a_conflict(tmp_path, fake_model):
    repo = _repo(tmp_path / "repo")
    timeline = Timeline()
    fake_model.script(
        Reply(parts=[_spawn("w1", isolation="worktree"), _spawn("w2", isolation="worktree")]),
        *_edit_script("w1", "one"),
        *_edit_script("w2", "two", seconds=0.2),
        Reply(parts=[Text("merged what could be merged")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"))
    agent = make_agent(repo, fake_model.base_url, mode="default", approver=approver,
                       extra_tools=[ProbeRead(timeline)])
    events = await run(agent, "edit shared.txt twice")

    # The children's edits were allowed inside their worktrees; only the merge asked.
    assert [r.tool_name for r in approver.requests] == ["Agent"]
    request = approver.requests[0]
    assert [c.path for c in request.changes] == [repo / "shared.txt"]
    assert request.changes[0].before == "base line\n"
    winner_text = request.changes[0].after
    assert winner_text in ("one\n", "two\n")
    loser_text = "two\n" if winner_text == "one\n" else "one\n"
    assert (repo / "shared.txt").read_text() == winner_text, "the first merge landed"

    results = {e.call_id: e for e in _finished(events, None, "Agent")}
    winner = "toolu_w1" if winner_text == "one\n" else "toolu_w2"
    loser = "toolu_w2" if winner == "toolu_w1" else "toolu_w1"
    assert "Applied the agent's changes to the main tree: shared.txt" in results[winner].output
    conflict = results[loser]
    assert "CONFLICT: shared.txt changed in the main tree" in conflict.output
    folder = repo / ".git" / "claw-patches" / loser
    assert (folder / "shared.txt").read_text() == loser_text, "the agent's version is kept whole"
    patch = (repo / ".git" / "claw-patches" / f"{loser}.patch").read_text()
    assert f"+{loser_text.strip()}" in patch and str(folder) in conflict.output
    # The diff pane saw the merged file; the worktrees and their branches are gone.
    changed = [e for e in of_type(events, ev.FileChanged) if e.agent_id is None]
    assert [(e.path, e.after) for e in changed] == [("shared.txt", winner_text)]
    assert _git(repo, "worktree", "list").count("\n") == 1
    assert "claw/" not in _git(repo, "branch")


async def test_denied_worktree_changes_are_kept_as_a_patch(tmp_path, fake_model):
    repo = _repo(tmp_path / "repo")
    fake_model.script(
        Reply(parts=[_spawn("w", isolation="worktree")]),
        Reply(parts=[ToolCall("Write", {"file_path": "new.txt", "content": "hello\n"})], when="[w]"),
        Reply(parts=[Text("wrote new.txt")], when="[w]"),
        Reply(parts=[Text("ok")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="deny", note="not now"))
    agent = make_agent(repo, fake_model.base_url, mode="default", approver=approver)
    events = await run(agent, "write a file")
    assert not (repo / "new.txt").exists()
    result = _finished(events, None, "Agent")[0].output
    assert "wrote new.txt" in result and "was denied" in result and "The user says: not now" in result
    assert (repo / ".git" / "claw-patches" / "toolu_w" / "new.txt").read_text() == "hello\n"
    assert "claw/" not in _git(repo, "branch")


async def test_enter_and_exit_worktree_apply_after_approval(tmp_path, fake_model):
    repo = _repo(tmp_path / "repo")
    fake_model.script(
        Reply(parts=[ToolCall("EnterWorktree", {"name": "try"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "shared.txt"})]),
        Reply(parts=[ToolCall("Write", {"file_path": "shared.txt", "content": "tried\n"})]),
        Reply(parts=[ToolCall("ExitWorktree", {"action": "apply"})]),
        Reply(parts=[Text("applied")]),
    )
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"), ApprovalResponse(behavior="allow"))
    agent = make_agent(repo, fake_model.base_url, mode="default", approver=approver)
    events = await run(agent, "try something")
    enter, read, write, leave = _finished(events, None)
    assert enter.status == "done" and "claw/try" in enter.output
    assert read.status == "done" and "base line" in read.output
    assert write.status == "done", write.output
    assert leave.status == "done" and "Applied the agent's changes to the main tree: shared.txt" in leave.output
    assert [r.tool_name for r in approver.requests] == ["EnterWorktree", "ExitWorktree"]
    assert (repo / "shared.txt").read_text() == "tried\n"
    assert agent.cwd == repo and agent.ctx.roots[0] == repo
    assert "claw/" not in _git(repo, "branch")


async def test_closing_inside_a_worktree_keeps_its_changes_as_a_patch(tmp_path, fake_model):
    repo = _repo(tmp_path / "repo")
    agent = make_agent(repo, fake_model.base_url)
    wt = agent.subagents.enter_worktree("left")
    assert agent.cwd == wt.cwd and agent.ctx.roots[0] == wt.path
    (wt.path / "shared.txt").write_text("unfinished\n")
    await agent.aclose()
    assert not wt.path.exists() and "claw/" not in _git(repo, "branch")
    assert (repo / ".git" / "claw-patches" / "left" / "shared.txt").read_text() == "unfinished\n"
    assert (repo / "shared.txt").read_text() == "base line\n"
