"""Hooks as Claude Code runs them: real shell scripts through the agent loop, the real SDKs and the
fake model server. Scripts log what they receive to a file; the tests read it."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from agent_harness import ScriptedApprover, make_agent, of_type, run
from fake_model import Fault, Reply, Text, ToolCall

from claw_tui.config import FolderTrust
from claw_tui.core import events as ev
from claw_tui.engine.hooks import matches
from claw_tui.engine.sessions import SessionStore
from claw_tui.engine.user_commands import load_user_commands

DATA = Path(__file__).parents[1] / "data" / "claude_folders"
LOG = 'cat >> "$CLAUDE_PROJECT_DIR/events.jsonl"; echo >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n'


def script(project: Path, name: str, body: str) -> str:
    path = project / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return f'"$CLAUDE_PROJECT_DIR"/{name}'


def logged(project: Path) -> list[dict]:
    path = project / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def hooks(**events: str | list[tuple[str, str]]) -> dict:
    """{"PreToolUse": [(matcher, command), …]} or {"Stop": command} in Claude Code's settings shape."""
    out = {}
    for event, spec in events.items():
        entries = [("", spec)] if isinstance(spec, str) else spec
        out[event] = [{"matcher": m, "hooks": [{"type": "command", "command": c}]} for m, c in entries]
    return out


def sent(request) -> str:
    return json.dumps(request.json)


@pytest.mark.parametrize(
    ("matcher", "name", "runs"),
    [("Edit|Write", "Write", True), ("Edit|Write", "WriteNotebook", False), ("Bash", "BashOutput", False),
     ("", "Read", True), ("*", "Read", True), (None, "Read", True), ("mcp__github__.*", "mcp__github__list_prs", True),
     ("mcp__github__.*", "mcp__gitlab__x", False), ("^Notebook", "NotebookEdit", True), ("Notebook", "NotebookEdit", False),
     ("mcp__memory", "mcp__memory__store", False), ("mcp__memory__.*", "mcp__memory__store", True)],
)
def test_matchers_read_as_claude_code_reads_them(matcher, name, runs):
    """Letters, digits, `_` and `|`: exact names; anything else a regex searched in the name."""
    assert matches(matcher, name) is runs


async def test_every_event_carries_the_session_and_a_readable_transcript(tmp_path, fake_model):
    store = SessionStore.open(tmp_path / "sessions.db")
    project = tmp_path / "project"
    project.mkdir()
    log = script(project, "log.sh", LOG)
    keep = script(project, "keep.sh", 'cp "$(jq -r .transcript_path)" "$CLAUDE_PROJECT_DIR/at-stop.jsonl"\n')
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "one\n"})]),
        Reply(parts=[Text("written")]),
    )
    settings = {"hooks": hooks(SessionStart=log, UserPromptSubmit=log, PreToolUse=log, PostToolUse=log,
                               Stop=[("", log), ("", keep)], SessionEnd=log)}
    agent = make_agent(project, fake_model.base_url, store=store, settings=settings)
    await run(agent, "write a file")
    await agent.aclose()
    events = logged(project)
    assert [e["hook_event_name"] for e in events] == [
        "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]
    transcript = events[0]["transcript_path"]
    for event in events:
        assert event["session_id"] == agent.session_id and event["transcript_path"] == transcript
        assert event["cwd"] == str(project) and event["permission_mode"] == "bypassPermissions"
    assert events[0]["source"] == "startup" and events[1]["prompt"] == "write a file"
    lines = [json.loads(line) for line in (project / "at-stop.jsonl").read_text().splitlines()]
    assert [line["type"] for line in lines] == ["user", "assistant", "user", "assistant"]
    assert all(line["sessionId"] == agent.session_id for line in lines)
    assert lines[0]["message"] == {"role": "user", "content": [{"type": "text", "text": "write a file"}]}
    assert lines[1]["message"]["content"][0]["name"] == "Write" and lines[1]["parentUuid"] == lines[0]["uuid"]
    assert lines[2]["message"]["content"][0]["type"] == "tool_result"
    assert events[4]["last_assistant_message"] == "written"


async def test_stop_hook_active_only_after_a_stop_hook_blocked(tmp_path, fake_model):
    """The "keep going until the tests pass" hook: it blocks the first stop of a turn that used a tool."""
    gate = script(tmp_path, "gate.sh", (
        'input=$(cat); echo "$input" >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n'
        'if [ "$(echo "$input" | jq .stop_hook_active)" = false ]; then\n'
        '  echo \'{"decision": "block", "reason": "run the tests first"}\'\n'
        'fi\n'
    ))
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "x\n"})]),
        Reply(parts=[Text("done")]),
        Reply(parts=[Text("tests pass")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks(Stop=gate)})
    events = await run(agent, "change a")
    assert [e["stop_hook_active"] for e in logged(tmp_path)] == [False, True]
    assert "Stop hook feedback: run the tests first" in sent(fake_model.requests[2])
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"


async def test_tool_response_has_claude_codes_structure(tmp_path, fake_model):
    (tmp_path / "b.txt").write_text("alpha\nbeta\n")
    log = script(tmp_path, "log.sh", LOG)
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "new\n"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "b.txt"})]),
        Reply(parts=[ToolCall("Edit", {"file_path": "b.txt", "old_string": "beta", "new_string": "gamma"})]),
        Reply(parts=[ToolCall("Bash", {"command": "echo hello"})]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks(PostToolUse=log)})
    await run(agent, "go")
    write, read, edit, bash = (e["tool_response"] for e in logged(tmp_path))
    assert write == {"type": "create", "filePath": str(tmp_path / "a.txt"), "content": "new\n",
                     "structuredPatch": [{"oldStart": 1, "oldLines": 0, "newStart": 1, "newLines": 1, "lines": ["+new"]}],
                     "originalFile": None}
    assert read["type"] == "text" and read["file"]["filePath"] == "b.txt"
    assert read["file"]["content"].startswith("alpha\nbeta")
    assert edit["filePath"] == str(tmp_path / "b.txt") and (edit["oldString"], edit["newString"]) == ("beta", "gamma")
    assert edit["originalFile"] == "alpha\nbeta\n" and edit["structuredPatch"][0]["lines"] == [" alpha", "-beta", "+gamma"]
    assert bash == {"stdout": "hello", "stderr": "", "interrupted": False, "isImage": False}


async def test_post_tool_use_failure_and_its_context(tmp_path, fake_model):
    hint = script(tmp_path, "hint.sh", LOG + (
        'echo \'{"hookSpecificOutput": {"hookEventName": "PostToolUseFailure", '
        '"additionalContext": "Hint: run make setup first."}}\'\n'
    ))
    never = script(tmp_path, "never.sh", 'touch "$CLAUDE_PROJECT_DIR/post-ran"\n')
    fake_model.script(Reply(parts=[ToolCall("Bash", {"command": "exit 3"})]), Reply(parts=[Text("ok")]))
    settings = {"hooks": hooks(PostToolUseFailure=[("Bash", hint)], PostToolUse=never)}
    agent = make_agent(tmp_path, fake_model.base_url, settings=settings)
    await run(agent, "fail")
    (failure,) = logged(tmp_path)
    assert failure["hook_event_name"] == "PostToolUseFailure" and failure["tool_input"] == {"command": "exit 3"}
    assert "Exit code 3" in failure["error"] and failure["is_interrupt"] is False
    assert "Hint: run make setup first." in sent(fake_model.requests[1])
    assert not (tmp_path / "post-ran").exists(), "a failed call runs PostToolUseFailure, not PostToolUse"


async def test_continue_false_ends_the_turn_with_the_stop_reason(tmp_path, fake_model):
    halt = script(tmp_path, "halt.sh", 'echo \'{"continue": false, "stopReason": "Budget for edits used up."}\'\n')
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "x\n"})]),
        Reply(parts=[Text("never asked")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks(PostToolUse=[("Write", halt)])})
    events = await run(agent, "write")
    assert (tmp_path / "a.txt").read_text() == "x\n", "PostToolUse runs after the tool"
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "stopped_by_hook"
    assert any("Budget for edits used up." in n.text for n in of_type(events, ev.Notice))
    assert len(fake_model.requests) == 1 and fake_model.pending == 1


async def test_permission_request_hooks_answer_for_the_user(tmp_path, fake_model):
    answer = script(tmp_path, "answer.sh", (
        'input=$(cat); echo "$input" >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n'
        'case "$(echo "$input" | jq -r .tool_input.command)" in\n'
        '  rm*) echo \'{"hookSpecificOutput": {"hookEventName": "PermissionRequest", '
        '"decision": {"behavior": "deny", "message": "No deleting in CI."}}}\' ;;\n'
        '  *) echo \'{"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": '
        '{"behavior": "allow", "updatedInput": {"command": "echo approved-by-hook"}}}}\' ;;\n'
        'esac\n'
    ))
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "touch made-by-model"})]),
        Reply(parts=[ToolCall("Bash", {"command": "rm -rf build"})]),
        Reply(parts=[Text("ok")]),
    )
    approver = ScriptedApprover()  # denies anything it is asked: the hook must answer first
    settings = {"hooks": hooks(PermissionRequest=[("Bash", answer)])}
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", approver=approver, settings=settings)
    events = await run(agent, "clean up")
    assert approver.requests == []
    first, second = logged(tmp_path)
    assert second["tool_input"] == {"command": "rm -rf build"}
    assert first["hook_event_name"] == "PermissionRequest" and first["tool_input"] == {"command": "touch made-by-model"}
    assert first["permission_suggestions"][0]["rules"][0]["toolName"] == "Bash"
    assert "approved-by-hook" in sent(fake_model.requests[1]) and not (tmp_path / "made-by-model").exists()
    assert "denied (PermissionRequest hook). Reason: No deleting in CI." in sent(fake_model.requests[2])
    assert [e.decided_by for e in of_type(events, ev.PermissionDecided)] == ["PermissionRequest hook"] * 2


async def test_user_prompt_expansion_sees_the_command_and_may_block_it(tmp_path, fake_model):
    (tmp_path / ".claude" / "commands" / "ops").mkdir(parents=True)
    (tmp_path / ".claude" / "commands" / "ops" / "deploy.md").write_text("Deploy to $0 now.\n")
    guard = script(tmp_path, "guard.sh", (
        'input=$(cat); echo "$input" >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n'
        'echo "$input" | jq -e \'.command_args | test("prod")\' >/dev/null && { echo "not from here" >&2; exit 2; }\n'
        'exit 0\n'
    ))
    fake_model.script(Reply(parts=[Text("deploying")]))
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks(UserPromptExpansion=[("ops:deploy", guard)])})
    catalog = load_user_commands(tmp_path)
    blocked = await run(agent, catalog.expand("/ops:deploy prod"))
    assert of_type(blocked, ev.Error)[0].message == "/ops:deploy blocked by a hook: not from here"
    assert fake_model.requests == []
    await run(agent, catalog.expand("/ops:deploy staging"))
    assert "Deploy to staging now." in sent(fake_model.requests[0])
    first = logged(tmp_path)[0]
    assert {k: first[k] for k in ("expansion_type", "command_name", "command_args", "command_source", "prompt")} == {
        "expansion_type": "slash_command", "command_name": "ops:deploy", "command_args": "prod",
        "command_source": "skill", "prompt": "/ops:deploy prod"}


async def test_subagent_start_and_stop(tmp_path, fake_model):
    log = script(tmp_path, "log.sh", LOG)
    context = script(tmp_path, "context.sh", LOG + 'echo \'{"hookSpecificOutput": {"hookEventName": "SubagentStart", '
                     '"additionalContext": "Use ripgrep, not grep."}}\'\n')
    fake_model.script(
        Reply(parts=[ToolCall("Agent", {"description": "find it", "prompt": "[child] find the config",
                                        "subagent_type": "Explore"})]),
        Reply(parts=[Text("found it in setup.cfg")], when="[child]"),
        Reply(parts=[Text("The config is setup.cfg.")]),
    )
    settings = {"hooks": hooks(SubagentStart=[("Explore", context)], SubagentStop=[("Explore", log)], Stop=log)}
    agent = make_agent(tmp_path, fake_model.base_url, settings=settings)
    await run(agent, "where is the config?")
    start, stop, main_stop = logged(tmp_path)
    assert (start["hook_event_name"], start["agent_type"]) == ("SubagentStart", "Explore")
    assert (stop["hook_event_name"], stop["agent_id"], stop["stop_hook_active"]) == ("SubagentStop", start["agent_id"], False)
    assert stop["last_assistant_message"] == "found it in setup.cfg"
    child_lines = [json.loads(line) for line in Path(stop["agent_transcript_path"]).read_text().splitlines()]
    assert child_lines[-1]["message"]["content"][0]["text"] == "found it in setup.cfg" and child_lines[0]["isSidechain"]
    assert main_stop["hook_event_name"] == "Stop" and stop["session_id"] == main_stop["session_id"]
    assert "Use ripgrep, not grep." in sent(fake_model.requests[1]), "SubagentStart's context joins the child's prompt"


async def test_stop_failure_names_the_error(tmp_path, fake_model):
    log = script(tmp_path, "log.sh", LOG)
    fake_model.script(Reply(fault=Fault.http(400, message="bad model id")))
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks(StopFailure=[("invalid_request", log)], Stop=log)})
    await run(agent, "hi")
    (failure,) = logged(tmp_path)
    assert failure["hook_event_name"] == "StopFailure" and failure["error"] == "invalid_request"
    assert "bad model id" in failure["error_details"]


async def test_compaction_and_clear_hooks(tmp_path, fake_model):
    log = script(tmp_path, "log.sh", LOG)
    context = script(tmp_path, "ctx.sh", '[ "$(jq -r .source)" = compact ] && echo "Remember: Python 3.11 only."; exit 0\n')
    fake_model.script(Reply(parts=[Text("one")]), Reply(parts=[Text("two")]), Reply(parts=[Text("three")]),
                      Reply(parts=[Text("Summary: said one, two.")]), Reply(parts=[Text("after")]))
    settings = {"hooks": hooks(PreCompact=log, PostCompact=log, SessionStart=[("", log), ("compact", context)],
                               SessionEnd=log)}
    agent = make_agent(tmp_path, fake_model.base_url, settings=settings)
    for prompt in ("a", "b", "c"):
        await run(agent, prompt)
    [e async for e in agent.compact("keep it short")]
    summary = agent.transcript[0]
    assert summary.is_compaction_summary and "Remember: Python 3.11 only." in summary.text
    agent.new_conversation()
    await run(agent, "fresh start")
    names = [(e["hook_event_name"], e.get("source") or e.get("trigger") or e.get("reason")) for e in logged(tmp_path)]
    assert names == [("SessionStart", "startup"), ("PreCompact", "manual"), ("PostCompact", "manual"),
                     ("SessionStart", "compact"), ("SessionEnd", "clear"), ("SessionStart", "clear")]
    post = logged(tmp_path)[2]
    assert "Summary: said one, two." in post["compact_summary"]


async def test_pydantic_ai_hooks_run_as_in_claude_code(tmp_path, fake_model, monkeypatch):
    """pydantic-ai's own hooks: SessionStart answers with jq-built JSON; its Bash guard exits 1, which
    Claude Code treats as a failed hook, not a block (exit 2 blocks)."""
    project = tmp_path / "pydantic-ai"
    shutil.copytree(DATA / "pydantic-ai-hooks", project)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text("#!/usr/bin/env bash\necho 'gh: not logged in' >&2; exit 1\n")
    (bin_dir / "gh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(shutil.which('jq') or '/usr/bin/jq').parent}:/usr/bin:/bin")
    FolderTrust().trust(project)
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "echo git commit --no-verify -m wip"})]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(project, fake_model.base_url)
    events = await run(agent, "commit")
    first_prompt = sent(fake_model.requests[0])
    assert "`gh` CLI setup required" in first_prompt, "the SessionStart hook's additionalContext joins the prompt"
    notices = [n.text for n in of_type(events, ev.Notice)]
    assert any("failed (exit 1): BLOCKED: Do not skip pre-commit hooks with --no-verify." in n for n in notices)
    assert "git commit --no-verify -m wip" in sent(fake_model.requests[1]), "exit 1 does not block the call"


async def test_hook_types_and_events_claw_does_not_run_are_named(tmp_path, fake_model):
    settings = {"hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "prompt", "prompt": "Is this safe?"},
                                                     {"type": "command", "command": "true", "if": "Bash(git *)"}]}],
        "WorktreeCreate": [{"hooks": [{"type": "command", "command": "true"}]}],
    }}
    agent = make_agent(tmp_path, fake_model.base_url, settings=settings)
    assert agent.startup_notes == [
        "Hooks claw does not fire (the event does not exist in claw): WorktreeCreate.",
        "Hooks of type `prompt` are not run by claw (PreToolUse).",
        "Hook option `if` is not honoured (PreToolUse): the hook runs without it.",
    ]


async def test_async_hooks_run_in_the_background_and_decide_nothing(tmp_path, fake_model):
    slow = script(tmp_path, "slow.sh", 'cat > /dev/null; sleep 0.3; touch "$CLAUDE_PROJECT_DIR/async-ran"; exit 2\n')
    fake_model.script(Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "x\n"})]), Reply(parts=[Text("ok")]))
    settings = {"hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": slow, "async": True}]}]}}
    agent = make_agent(tmp_path, fake_model.base_url, settings=settings)
    await run(agent, "write")
    assert (tmp_path / "a.txt").exists(), "an async hook's exit 2 blocks nothing"
    await agent.aclose()
    assert (tmp_path / "async-ran").exists(), "closing the session lets it finish"
