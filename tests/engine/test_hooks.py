from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from claw_tui.config import HookCommand, HookMatcher
from claw_tui.engine.hooks import HookRunner


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return root


def script(project, name, body):
    """A real hook script in the project, run through `bash -c` like a user's."""
    path = project / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return f'"$CLAUDE_PROJECT_DIR"/{name}'


def runner(project, event, *entries, session_id="s1"):
    """entries: (matcher, command) or (matcher, command, timeout)."""
    matchers = [
        HookMatcher(matcher=e[0], hooks=[HookCommand(command=e[1], timeout=e[2] if len(e) > 2 else 60.0)])
        for e in entries
    ]
    return HookRunner({event: matchers}, project, session_id)


async def test_pre_tool_use_gets_claude_code_payload_on_stdin(project):
    cmd = script(project, "dump.sh", 'cat > "$CLAW_PROJECT_DIR/payload.json"; pwd > "$CLAUDE_PROJECT_DIR/cwd.txt"\n')
    outcome = await runner(project, "PreToolUse", ("Bash", cmd)).pre_tool_use("Bash", {"command": "ls"}, "call_1")
    payload = json.loads((project / "payload.json").read_text())
    assert payload == {
        "session_id": "s1",
        "transcript_path": "",
        "cwd": str(project),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
        "tool_use_id": "call_1",
    }
    assert (project / "cwd.txt").read_text().strip() == str(project)
    assert not outcome.block and outcome.permission_decision is None


async def test_exit_2_blocks_with_stderr_as_reason(project):
    cmd = script(project, "guard.sh", 'jq_free=$(cat); echo "no rm please" >&2; exit 2\n')
    outcome = await runner(project, "PreToolUse", ("Bash", cmd)).pre_tool_use("Bash", {"command": "rm x"}, "c")
    assert outcome.block and outcome.reason == "no rm please"


async def test_other_exit_codes_are_messages_not_blocks(project):
    cmd = script(project, "broken.sh", 'echo "oops" >&2; exit 1\n')
    outcome = await runner(project, "PreToolUse", ("", cmd)).pre_tool_use("Edit", {}, "c")
    assert not outcome.block
    assert len(outcome.messages) == 1 and "failed (exit 1): oops" in outcome.messages[0]


@pytest.mark.parametrize(
    ("matcher", "tool", "runs"),
    [("Bash", "Bash", True), ("Bash", "BashX", False), ("Edit|Write", "Write", True), ("*", "Read", True),
     ("", "Read", True), ("mcp__db__.*", "mcp__db__query", True), ("Notebook.*", "Edit", False)],
)
async def test_matcher_is_a_regex_on_the_tool_name(project, matcher, tool, runs):
    cmd = script(project, "mark.sh", 'touch "$CLAUDE_PROJECT_DIR/ran"\n')
    await runner(project, "PostToolUse", (matcher, cmd)).post_tool_use(tool, {}, "out", "c")
    assert (project / "ran").exists() is runs


async def test_json_permission_decision_reason_and_updated_input(project):
    reply = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
                                    "updatedInput": {"command": "ls -la"}, "additionalContext": "ctx!"},
             "systemMessage": "rewrote ls"}
    cmd = script(project, "rewrite.sh", f"cat >/dev/null; echo '{json.dumps(reply)}'\n")
    outcome = await runner(project, "PreToolUse", ("Bash", cmd)).pre_tool_use("Bash", {"command": "ls"}, "c")
    assert outcome.permission_decision == "allow"
    assert outcome.updated_input == {"command": "ls -la"}
    assert outcome.additional_context == "ctx!"
    assert outcome.messages == ["rewrote ls"]
    assert not outcome.block


async def test_json_deny_blocks_and_deny_beats_allow_across_hooks(project):
    deny = {"hookSpecificOutput": {"permissionDecision": "deny", "permissionDecisionReason": "prod is off limits"}}
    allow = {"hookSpecificOutput": {"permissionDecision": "allow"}}
    a = script(project, "deny.sh", f"echo '{json.dumps(deny)}'\n")
    b = script(project, "allow.sh", f"echo '{json.dumps(allow)}'\n")
    outcome = await runner(project, "PreToolUse", ("Bash", a), ("*", b)).pre_tool_use("Bash", {}, "c")
    assert outcome.permission_decision == "deny"
    assert outcome.block and outcome.reason == "prod is off limits"


async def test_legacy_decision_block_and_continue_false(project):
    block = script(project, "block.sh", """echo '{"decision": "block", "reason": "lint failed"}'\n""")
    outcome = await runner(project, "PostToolUse", ("Edit", block)).post_tool_use("Edit", {}, "ok", "c")
    assert outcome.block and outcome.reason == "lint failed"
    stop = script(project, "stop.sh", """echo '{"continue": false, "stopReason": "budget hit"}'\n""")
    outcome = await runner(project, "UserPromptSubmit", ("", stop)).user_prompt_submit("hi")
    assert outcome.block and outcome.reason == "budget hit"


async def test_post_tool_use_sees_the_output(project):
    cmd = script(project, "check.sh", 'python3 -c "import json,sys; d=json.load(sys.stdin); '
                                      'print(d[\'tool_response\'], file=sys.stderr)"; exit 2\n')
    outcome = await runner(project, "PostToolUse", ("Bash", cmd)).post_tool_use("Bash", {"command": "x"}, "42", "c")
    assert outcome.block and outcome.reason == "42"


async def test_user_prompt_submit_plain_stdout_is_context(project):
    cmd = script(project, "ctx.sh", "echo 'The build server is down today.'\n")
    outcome = await runner(project, "UserPromptSubmit", ("", cmd)).user_prompt_submit("deploy")
    assert outcome.additional_context == "The build server is down today."
    assert not outcome.block


async def test_user_prompt_submit_exit_2_blocks_the_prompt(project):
    cmd = script(project, "secret.sh", 'grep -q password && { echo "no secrets in prompts" >&2; exit 2; }; exit 0\n')
    r = runner(project, "UserPromptSubmit", ("", cmd))
    assert (await r.user_prompt_submit("my password is x")).block
    assert not (await r.user_prompt_submit("hello")).block


async def test_stop_hook_block_means_keep_going(project):
    cmd = script(
        project, "stop.sh",
        'if grep -q \'"stop_hook_active": false\'; then echo \'{"decision": "block", "reason": "run the tests"}\'; fi\n',
    )
    r = runner(project, "Stop", ("", cmd))
    first = await r.stop(stop_hook_active=False)
    assert first.block and first.reason == "run the tests"
    assert not (await r.stop(stop_hook_active=True)).block


async def test_timeout_kills_the_hook_and_its_children(project):
    cmd = script(project, "slow.sh", 'sleep 30 & echo $! > "$CLAUDE_PROJECT_DIR/child.pid"; wait\n')
    outcome = await runner(project, "PreToolUse", ("", cmd, 1.0)).pre_tool_use("Bash", {}, "c")
    assert not outcome.block
    assert outcome.messages and "timed out after 1 s" in outcome.messages[0]
    pid = int((project / "child.pid").read_text())
    assert _ends(pid), "the hook's background child outlived the timeout"


def _ends(pid: int) -> bool:
    """True once the process is gone or a zombie (killed, waiting for its new parent to reap it)."""
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


async def test_other_events_and_their_payloads(project):
    cmd = script(project, "log.sh", 'cat >> "$CLAUDE_PROJECT_DIR/events.jsonl"; echo >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n')
    hooks = {
        event: [HookMatcher(matcher="", hooks=[HookCommand(command=cmd)])]
        for event in ("SessionStart", "SessionEnd", "PreCompact", "Notification")
    }
    r = HookRunner(hooks, project, "s9")
    await r.session_start("startup")
    await r.pre_compact("manual", "keep the API notes")
    await r.notification("claw needs your approval")
    await r.session_end("exit")
    events = [json.loads(line) for line in (project / "events.jsonl").read_text().splitlines() if line.strip()]
    assert [(e["hook_event_name"], e["session_id"]) for e in events] == [
        ("SessionStart", "s9"), ("PreCompact", "s9"), ("Notification", "s9"), ("SessionEnd", "s9")]
    assert events[0]["source"] == "startup"
    assert events[1]["trigger"] == "manual" and events[1]["custom_instructions"] == "keep the API notes"
    assert events[2]["message"] == "claw needs your approval"
    assert events[3]["reason"] == "exit"


async def test_session_start_matcher_and_context(project):
    cmd = script(project, "start.sh", "echo 'Remember: Python 3.11 only.'\n")
    r = runner(project, "SessionStart", ("resume", cmd))
    assert (await r.session_start("resume")).additional_context == "Remember: Python 3.11 only."
    assert (await r.session_start("startup")).additional_context == ""


async def test_exit_2_on_a_non_blocking_event_is_only_shown(project):
    cmd = script(project, "n.sh", 'echo "cannot notify" >&2; exit 2\n')
    outcome = await runner(project, "Notification", ("", cmd)).notification("hi")
    assert not outcome.block and outcome.messages == ["Notification hook `\"$CLAUDE_PROJECT_DIR\"/n.sh`: cannot notify"]


async def test_no_hooks_means_nothing_runs(project):
    outcome = await HookRunner({}, project, "s").pre_tool_use("Bash", {}, "c")
    assert not outcome.block and outcome.messages == [] and outcome.updated_input is None


async def test_hooks_through_the_agent_loop(tmp_path, fake_model):
    from agent_harness import make_agent, run
    from fake_model import Reply, Text, ToolCall

    guard = script(tmp_path, "guard.sh", 'grep -q secret && { echo "not the secrets file" >&2; exit 2; }; exit 0\n')
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "secret.txt", "content": "x\n"})]),
        Reply(parts=[ToolCall("Write", {"file_path": "notes.txt", "content": "y\n"})]),
        Reply(parts=[Text("done")]),
    )
    hooks = {"PreToolUse": [{"matcher": "Write|Edit", "hooks": [{"command": guard}]}]}
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": hooks})
    await run(agent, "write two files")
    assert not (tmp_path / "secret.txt").exists()
    assert (tmp_path / "notes.txt").read_text() == "y\n"
    results = [b for m in agent.transcript for b in m.content if getattr(b, "tool_use_id", None)]
    assert "not the secrets file" in str(results[0])


async def test_session_start_notification_and_session_end_through_the_agent(tmp_path, fake_model):
    from agent_harness import ScriptedApprover, make_agent, run
    from fake_model import Reply, Text, ToolCall

    from claw_tui.core.approval import ApprovalResponse

    log = script(tmp_path, "log.sh", 'cat >> "$CLAUDE_PROJECT_DIR/events.jsonl"; echo >> "$CLAUDE_PROJECT_DIR/events.jsonl"\n')
    context = script(tmp_path, "context.sh", "echo 'The build command is make ci.'\n")
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "a.txt", "content": "x\n"})]),
        Reply(parts=[Text("done")]),
    )
    hooks = {
        "SessionStart": [{"hooks": [{"command": log}, {"command": context}]}],
        "Notification": [{"hooks": [{"command": log}]}],
        "SessionEnd": [{"hooks": [{"command": log}]}],
    }
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"))
    agent = make_agent(tmp_path, fake_model.base_url, mode="default", approver=approver, settings={"hooks": hooks})
    await run(agent, "write a file")
    await run(agent, "again")  # SessionStart runs once, before the first turn only
    await agent.aclose()
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines() if line.strip()]
    assert [e["hook_event_name"] for e in events] == ["SessionStart", "Notification", "SessionEnd"]
    assert events[0]["source"] == "startup" and "Write" in events[1]["message"] and events[2]["reason"] == "exit"
    first_prompt = fake_model.requests[0].json["messages"][0]["content"]
    assert "The build command is make ci." in json.dumps(first_prompt), "SessionStart stdout is context"
