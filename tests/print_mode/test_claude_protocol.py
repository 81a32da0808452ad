"""`claw -p` writes what Claude Code writes: each scenario of cc_scenarios.py, run through claw
against the same scripted model, is compared with Claude Code 2.1.332's own recorded output
(recordings/): the same messages in the same order, carrying Claude Code's fields (those claw
leaves out are named below, with why), the same content blocks, result and exit code."""

from __future__ import annotations

import json
import uuid

import pytest
from cc_scenarios import RECORDINGS, SCENARIOS, Scenario
from fake_model import Reply, Text, ToolCall

# Claude Code fields claw does not write, by message kind, and why.
NOT_WRITTEN = {
    "system/init": {
        "terminal_slash_commands": "claw has no commands bound to a terminal (present only when non-empty)",
        "capabilities": "Claude Code's own protocol extensions, which claw does not implement",
        "analytics_disabled": "claw sends no analytics",
        "product_feedback_disabled": "claw has no product feedback",
        "served_by_anthropic": "Claude Code's account state",
        "memory_paths": "Claude Code's auto-memory folders; claw has none",
        "messaging_socket_path": "Claude Code's socket for other sessions; claw has none",
        "fast_mode_state": "Claude Code's fast mode; claw has none",
        "fast_mode_disabled_reason": "Claude Code's fast mode; claw has none",
        "per_turn_effort_active": "Claude Code's effort levels; claw has none",
        "ultrathink_available": "Claude Code's ultrathink keyword; claw has none",
        "ultrathink_typed_raises": "Claude Code's ultrathink keyword; claw has none",
        "view_mode": "Claude Code's terminal view setting",
    },
    "assistant.message": {"context_management": "Anthropic's context-management beta, which claw does not use"},
    "user": {"tool_result_meta": "Claude Code's record of which permission rule let each call run"},
    "result": {
        "fast_mode_state": "Claude Code's fast mode",
        "fast_mode_disabled_reason": "Claude Code's fast mode",
        "subagent_stats": "Claude Code's subagent counters",
        "safety_stops": "Claude Code's safety-stop counter",
        "ttft_ms": "latency probes of Claude Code's",
        "ttft_stream_ms": "latency probes of Claude Code's",
        "time_to_request_ms": "latency probes of Claude Code's",
        "first_content_frame_ms": "latency probes of Claude Code's",
        "queued_turn_count": "Claude Code's prompt queue counters",
        "result_index": "Claude Code's prompt queue counters",
        "model_usage_since_last_result": "Claude Code's queue bookkeeping (modelUsage is written)",
        "api_error_type": "the API's error type name; claw gives the status in api_error_status",
    },
    "result.usage": {
        "output_tokens_details": "thinking tokens are not reported apart by every provider",
        "cache_creation": "the 5-minute/1-hour cache split, which claw does not track",
        "inference_geo": "Anthropic's inference region",
        "iterations": "Claude Code's per-iteration usage",
        "speed": "Claude Code's fast mode",
        "fallback_credit": "Claude Code's account credits",
    },
    "result.modelUsage": {
        "thinkingTokens": "thinking tokens are not reported apart by every provider",
        "cacheCreationEphemeral5mInputTokens": "the cache split, which claw does not track",
        "cacheCreationEphemeral1hInputTokens": "the cache split, which claw does not track",
        "canonicalModel": "Claude Code's model aliasing",
        "provider": "Claude Code's account kind (firstParty, Bedrock…)",
        "costBasis": "Claude Code's pricing source",
    },
}
# Claude Code's `system`/`status` "requesting" lines (before each model call, with partial
# messages) have no counterpart: claw's engine reports a call once its reply starts.
SKIPPED_KINDS = {"system/status"}


def kind(message: dict) -> str:
    return message["type"] + (f"/{message['subtype']}" if message["type"] == "system" else "")


def missing_keys(recorded: dict, ours: dict, what: str) -> list[str]:
    return sorted(set(recorded) - set(ours) - set(NOT_WRITTEN.get(what, {})))


def blocks(message: dict) -> list[tuple]:
    """What a message's content says, without ids: (type, text or tool name or result)."""
    content = message["message"]["content"]
    if isinstance(content, str):
        return [("text", content)]
    out = []
    for block in content:
        if block["type"] == "text":
            out.append(("text", block["text"]))
        elif block["type"] == "tool_use":
            out.append(("tool_use", block["name"], json.dumps(block["input"], sort_keys=True)))
        elif block["type"] == "tool_result":
            out.append(("tool_result", bool(block.get("is_error"))))
        else:
            out.append((block["type"],))
    return out


def run_scenario(scenario: Scenario, claw_p, fake_model, project):
    for rel, text in scenario.files.items():
        (project / rel).write_text(text)
    fake_model.script(*scenario.replies(project))
    return claw_p(*scenario.argv, stdin=scenario.stdin)


def comparable(lines: list[dict], project) -> list[dict]:
    """Lines with the project's path written as the recordings write it."""
    return json.loads(json.dumps(lines).replace(str(project), "$PROJECT"))


def compare_messages(recorded: list[dict], ours: list[dict]) -> None:
    shown = [m for m in recorded if kind(m) not in SKIPPED_KINDS and m["type"] != "stream_event"]
    mine = [m for m in ours if m["type"] != "stream_event"]
    assert [kind(m) for m in mine] == [kind(m) for m in shown]
    for rec, our in zip(shown, mine, strict=True):
        what = kind(rec)
        assert missing_keys(rec, our, what) == [], what
        assert str(uuid.UUID(our["session_id"])) == our["session_id"] and str(uuid.UUID(our["uuid"]))
        if rec["type"] in ("assistant", "user"):
            assert blocks(our) == blocks(rec)
            assert our["parent_tool_use_id"] is None
        if rec["type"] == "assistant":
            assert missing_keys(rec["message"], our["message"], "assistant.message") == []
            assert our["message"]["id"].startswith("msg_") and set(our["message"]["usage"]) >= {
                "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}
        if rec["type"] == "user" and "tool_use_result" in rec:
            our_result, rec_result = our["message"]["content"][0], rec["message"]["content"][0]
            assert our_result["tool_use_id"] == next(
                b["id"] for m in mine if m["type"] == "assistant" for b in m["message"]["content"]
                if b["type"] == "tool_use")
            assert isinstance(our["tool_use_result"], str) and ("Error: " in our["tool_use_result"]) == (
                bool(rec_result.get("is_error")))
    assert len({m["session_id"] for m in mine}) == 1


def compare_result(rec: dict, our: dict) -> None:
    assert missing_keys(rec, our, "result") == []
    assert missing_keys(rec["usage"], our["usage"], "result.usage") == []
    for field in ("subtype", "is_error", "num_turns", "stop_reason", "terminal_reason", "structured_output"):
        assert our.get(field) == rec.get(field), field
    assert ("result" in our) == ("result" in rec) and ("errors" in our) == ("errors" in rec)
    if rec["subtype"] == "success" and not rec["is_error"]:
        assert our["result"] == rec["result"]
    assert [d["tool_name"] for d in our["permission_denials"]] == [d["tool_name"] for d in rec["permission_denials"]]
    assert [d["tool_input"] for d in our["permission_denials"]] == [d["tool_input"] for d in rec["permission_denials"]]
    assert len(our["modelUsage"]) == len(rec["modelUsage"])  # empty when no call was billed
    for rec_usage, our_usage in zip(rec["modelUsage"].values(), our["modelUsage"].values(), strict=True):
        assert missing_keys(rec_usage, our_usage, "result.modelUsage") == []
        assert our["total_cost_usd"] == pytest.approx(our_usage["costUSD"], abs=1e-6)
    assert (our["total_cost_usd"] > 0) == (rec["total_cost_usd"] > 0)
    assert our["duration_ms"] >= our["duration_api_ms"] >= 0


@pytest.mark.parametrize("name", ["text_stream", "tool_stream", "denied_stream", "retry_stream"])
def test_stream_json_is_claude_codes_message_stream(name, claw_p, fake_model, project):
    scenario = SCENARIOS[name]
    run = run_scenario(scenario, claw_p, fake_model, project)
    recorded, ours = scenario.recording(), comparable(run.lines(), project)
    assert run.code == scenario.meta()["exit_code"], run.stderr
    assert ours[0]["type"] == "system" and ours[0]["subtype"] == "init"
    assert missing_keys(recorded[0], ours[0], "system/init") == []
    assert ours[0]["cwd"] == "$PROJECT" and "Read" in ours[0]["tools"] and ours[0]["permissionMode"] == "default"
    compare_messages(recorded, ours)
    compare_result(recorded[-1], ours[-1])


def test_partial_messages_stream_anthropics_events(claw_p, fake_model, project):
    scenario = SCENARIOS["partial_stream"]
    run = run_scenario(scenario, claw_p, fake_model, project)
    recorded, ours = scenario.recording(), comparable(run.lines(), project)
    compare_messages(recorded, ours)

    def events(lines: list[dict]) -> list[list[str]]:
        """Each model call's stream, with runs of the same delta collapsed to one."""
        calls: list[list[str]] = []
        for line in lines:
            if line["type"] != "stream_event":
                continue
            event = line["event"]
            name = event["type"] + (f":{event['delta']['type']}" if "delta" in event and "type" in event["delta"]
                                    else f":{event['content_block']['type']}" if "content_block" in event else "")
            if name == "message_start":
                calls.append([])
            if not calls[-1] or calls[-1][-1] != name:
                calls[-1].append(name)
        return calls

    assert events(ours) == events(recorded)
    for line in ours:
        if line["type"] == "stream_event":
            assert set(line) >= {"event", "session_id", "uuid", "parent_tool_use_id", "api_message_id"}
    streamed = {line["api_message_id"] for line in ours if line["type"] == "stream_event"}
    assert streamed == {line["message"]["id"] for line in ours if line["type"] == "assistant"}
    text = "".join(line["event"]["delta"]["text"] for line in ours
                   if line["type"] == "stream_event" and line["event"]["type"] == "content_block_delta"
                   and line["event"]["delta"]["type"] == "text_delta")
    assert text == "Let me read it.It says: remember the milk."


@pytest.mark.parametrize("name", ["text_json", "max_turns_json", "api_error_json", "structured_json", "budget_json"])
def test_json_is_claude_codes_result(name, claw_p, fake_model, project):
    scenario = SCENARIOS[name]
    run = run_scenario(scenario, claw_p, fake_model, project)
    (recorded,), (ours,) = scenario.recording(), run.lines()
    assert run.code == scenario.meta()["exit_code"], run.stderr
    compare_result(recorded, ours)
    if recorded["is_error"] and "errors" in recorded:
        assert ours["errors"] == recorded["errors"]
    if name == "api_error_json":
        assert ours["api_error_status"] == recorded["api_error_status"] == 400
        assert "prompt is too long" in ours["result"]


def test_resume_by_the_returned_session_id_continues_and_counts_the_session(claw_p, fake_model, project):
    """As Claude Code: the same session id comes back, usage is the call's, the cost the session's."""
    first_rec, second_rec = (json.loads(line) for line in (RECORDINGS / "resume_json.jsonl").read_text().splitlines())
    fake_model.script(Reply(parts=[Text("First answer.")]), Reply(parts=[Text("Second answer.")]))
    first = claw_p("-p", "First question", "--output-format", "json").lines()[0]
    second = claw_p("-p", "Second question", "--output-format", "json", "--resume", first["session_id"]).lines()[0]
    for rec, our in ((first_rec, first), (second_rec, second)):
        compare_result(rec, our)
    assert second["session_id"] == first["session_id"] and second_rec["session_id"] == first_rec["session_id"]
    roles = [m["role"] for m in fake_model.requests[1].json["messages"]]
    assert roles == ["user", "assistant", "user"]
    # Claude Code's total_cost_usd and modelUsage after --resume are the session's, its usage the call's.
    assert second_rec["total_cost_usd"] > first_rec["total_cost_usd"]
    (model,) = second["modelUsage"]
    assert second["total_cost_usd"] == pytest.approx(second["modelUsage"][model]["costUSD"], abs=1e-6)
    assert second["modelUsage"][model]["inputTokens"] == (
        first["usage"]["input_tokens"] + second["usage"]["input_tokens"])
    assert second["total_cost_usd"] > first["total_cost_usd"]


def test_piped_input_follows_the_prompt_as_claude_code_sends_it(claw_p, fake_model, project):
    scenario = SCENARIOS["stdin_text"]
    run = run_scenario(scenario, claw_p, fake_model, project)
    assert run.code == 0 and run.stdout == scenario.text()
    sent = fake_model.requests[0].json["messages"][0]["content"]
    text = sent if isinstance(sent, str) else sent[-1]["text"]
    assert text == scenario.meta()["first_user_text"] == "Explain this log\nERROR disk full\nWARN retrying\n"


def test_auto_compaction_is_claude_codes_compact_boundary(claw_p, fake_model):
    """The shape is Claude Code's own schema for it (compact_metadata: trigger, pre_tokens, post_tokens)."""
    fake_model.script(*[Reply(parts=[Text(f"answer {i}")]) for i in range(3)])
    for i in range(3):
        assert claw_p("-p", f"question {i}", "--continue" if i else "--verbose").code == 0
    fake_model.script(
        Reply(parts=[ToolCall("Glob", {"pattern": "*"})], usage={"input_tokens": 990_000}),
        Reply(parts=[Text("Summary of the earlier questions.")]),
        Reply(parts=[Text("Done.")]),
    )
    lines = claw_p("-p", "go on", "--continue", "--output-format", "stream-json", "--verbose").lines()
    (boundary,) = [m for m in lines if m["type"] == "system" and m["subtype"] == "compact_boundary"]
    meta = boundary["compact_metadata"]
    assert meta["trigger"] == "auto" and meta["pre_tokens"] > 0 and meta["post_tokens"] > 0
    assert set(boundary) >= {"type", "subtype", "session_id", "uuid", "compact_metadata"}
    assert lines[-1]["subtype"] == "success" and lines[-1]["result"] == "Done."
