"""`claw -p --input-format stream-json`: the Agent SDK's conversation, driven line by line as
recordings/stream_input.jsonl shows Claude Code 2.1.332 answering it."""

from __future__ import annotations

import json

from cc_scenarios import RECORDINGS
from cc_session import Session, response_to
from claw_runner import claw_program
from fake_model import Reply, Text, ToolCall

ARGV = ["--output-format", "stream-json", "--verbose", "--input-format", "stream-json",
        "--permission-prompt-tool", "stdio", "--include-partial-messages"]


def recorded() -> list[dict]:
    return [json.loads(line) for line in (RECORDINGS / "stream_input.jsonl").read_text().splitlines()]


def user(text: str) -> dict:
    return {"type": "user", "session_id": "", "message": {"role": "user", "content": text}, "parent_tool_use_id": None}


def test_the_agent_sdk_conversation(project, fake_model, claw_env):
    """initialize, a prompt whose Write asks can_use_tool, mode and model changes, MCP status, a
    request claw does not serve (an error response, not silence), an interrupt, then a prompt after it."""
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": str(project / "out.txt"), "content": "x\n"})]),
        Reply(parts=[Text("Wrote it.")]),
        Reply(parts=[Text("word " * 400)], token_delay=0.05),
        Reply(parts=[Text("After the interrupt.")]),
    )
    cc = {(m["type"], (m.get("response") or {}).get("request_id")): m for m in recorded()}
    s = Session(claw_program(), ARGV, project, claw_env)
    s.control("req_1", {"subtype": "initialize", "hooks": None})
    init = s.until(response_to("req_1"))["response"]
    assert init["subtype"] == "success"
    for key in ("commands", "agents", "output_style", "available_output_styles", "models", "account", "pid"):
        assert key in init["response"] and key in cc[("control_response", "req_1")]["response"]["response"]
    assert any(a["name"] == "Explore" for a in init["response"]["agents"])

    s.send(user("Write out.txt"))
    ask = s.until(lambda m: m.get("type") == "control_request")
    cc_ask = next(m for m in recorded() if m["type"] == "control_request")
    assert set(cc_ask["request"]) <= set(ask["request"])
    assert ask["request"]["subtype"] == "can_use_tool" and ask["request"]["tool_name"] == "Write"
    assert ask["request"]["input"] == {"file_path": str(project / "out.txt"), "content": "x\n"}
    assert not (project / "out.txt").exists(), "nothing is written before the host answers"
    s.send({"type": "control_response", "response": {"subtype": "success", "request_id": ask["request_id"],
            "response": {"behavior": "allow", "updatedInput": {**ask["request"]["input"], "content": "y\n"}}}})
    first = s.until(lambda m: m.get("type") == "result")
    assert first["subtype"] == "success" and first["result"] == "Wrote it." and first["num_turns"] == 2
    assert (project / "out.txt").read_text() == "y\n", "the host's updatedInput is what ran"

    replies = {}
    for rid, request in [
        ("req_2", {"subtype": "set_permission_mode", "mode": "acceptEdits"}),
        ("req_3", {"subtype": "set_model", "model": "claude-haiku-5-5"}),
        ("req_4", {"subtype": "mcp_status"}),
        ("req_5", {"subtype": "no_such_request"}),
    ]:
        s.control(rid, request)
        replies[rid] = s.until(response_to(rid))["response"]
    for rid in ("req_2", "req_3", "req_4"):  # the same answers as Claude Code's
        assert replies[rid] == cc[("control_response", rid)]["response"]
    assert replies["req_5"]["subtype"] == "error"
    assert replies["req_5"]["error"] == cc[("control_response", "req_5")]["response"]["error"]

    s.send(user("Talk for a while"))
    init_line = s.until(lambda m: m.get("type") == "system" and m.get("subtype") == "init")
    assert init_line["permissionMode"] == "acceptEdits" and init_line["model"] == "claude-haiku-5-5"
    s.until(lambda m: m.get("type") == "stream_event" and m["event"].get("type") == "content_block_delta")
    s.control("req_6", {"subtype": "interrupt"})
    interrupted = s.until(lambda m: m.get("type") == "result")
    cc_interrupted = [m for m in recorded() if m["type"] == "result"][1]
    for field in ("subtype", "is_error", "terminal_reason"):
        assert interrupted[field] == cc_interrupted[field]
    assert any(m.get("type") == "user" and m["message"]["content"] == [{"type": "text", "text":
               "[Request interrupted by user]"}] for m in s.received)
    assert any(m.get("type") == "control_response" and m["response"]["request_id"] == "req_6" for m in s.received)

    s.send(user("Are you there?"))
    last = s.until(lambda m: m.get("type") == "result")
    assert last["subtype"] == "success" and last["result"] == "After the interrupt."
    assert fake_model.requests[-1].json["model"] == "claude-haiku-5-5"
    told = json.dumps(fake_model.requests[-1].json["messages"][-1])
    assert "[Request interrupted by user]" in told, "the model learns the last reply was cut"
    assert s.close() == "" and s.process.returncode == 0
    assert len({m["session_id"] for m in s.received if "session_id" in m}) == 1


def test_a_bad_line_or_prompt_is_named_and_the_session_goes_on(project, fake_model, claw_env):
    fake_model.script(Reply(parts=[Text("Still here.")]))
    s = Session(claw_program(), [*ARGV, "--replay-user-messages"], project, claw_env)
    s.process.stdin.write("this is not json\n")  # type: ignore[union-attr]
    s.send({"type": "user", "message": {"role": "user", "content": []}})
    s.send(user("Hello"))
    result = s.until(lambda m: m.get("type") == "result")
    assert result["result"] == "Still here."
    (echo,) = [m for m in s.received if m.get("type") == "user"]
    assert echo["isReplay"] is True and echo["message"]["content"] == [{"type": "text", "text": "Hello"}]
    stderr = s.close()
    assert "not JSON" in stderr and "needs text or image content" in stderr and s.process.returncode == 0


def test_stdin_closing_while_a_permission_ask_waits_denies_it(project, fake_model, claw_env):
    """The host goes away before answering can_use_tool: the call is denied and claw finishes, no hang."""
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": str(project / "out.txt"), "content": "x\n"})]),
        Reply(parts=[Text("Could not write.")]),
    )
    s = Session(claw_program(), ARGV, project, claw_env)
    s.send(user("Write out.txt"))
    s.until(lambda m: m.get("type") == "control_request")
    s.close()
    result = next(m for m in s.received if m.get("type") == "result")
    assert result["result"] == "Could not write." and [d["tool_name"] for d in result["permission_denials"]] == ["Write"]
    assert not (project / "out.txt").exists() and s.process.returncode == 0
