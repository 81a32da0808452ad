"""Export to Markdown and JSONL, import claw's JSONL and Claude Code transcripts, with real files."""

from __future__ import annotations

import json
import time

import pytest

from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    tool_result,
    user_text,
)
from claw_tui.engine.session_io import export_jsonl, export_markdown, import_jsonl
from claw_tui.engine.sessions import SessionStore, StoreError


@pytest.fixture
def store(tmp_path):
    s = SessionStore.open(tmp_path / "a.db")
    yield s
    s.close()


@pytest.fixture
def project(tmp_path):
    p = tmp_path / "proj"
    p.mkdir()
    return p


def rich_session(store: SessionStore, project) -> str:
    sid = store.create_session(project, "anthropic/claude-sonnet-4-5")
    store.append_message(sid, user_text("Why does the build fail?"))
    store.append_message(
        sid,
        Message(
            role="assistant",
            model="anthropic/claude-sonnet-4-5",
            content=[
                ThinkingBlock(thinking="Check the log first.", signature="sig==", provider="anthropic"),
                TextBlock(text="Let me look."),
                ToolUseBlock(id="toolu_1", name="Bash", input={"command": "make 2>&1 | tail", "timeout": 60}),
            ],
        ),
    )
    store.append_message(
        sid,
        Message(
            role="user",
            content=[
                ToolResultBlock(
                    tool_use_id="toolu_1",
                    content=[
                        TextBlock(text="error: ```weird``` output"),
                        ImageBlock(media_type="image/png", data="iVBO"),
                    ],
                    is_error=True,
                )
            ],
        ),
    )
    store.append_message(
        sid, Message(role="assistant", model="openai/gpt-5", content=[TextBlock(text="Fixed it.")])
    )
    store.append_event(sid, {"type": "task_graph", "tasks": [{"id": "1", "subject": "fix build"}]})
    store.record_usage(sid, "anthropic/claude-sonnet-4-5", 1200, 300, 50, 10, 0.0123)
    store.record_usage(sid, "openai/gpt-5", 10, 5, 0, 0, None)
    return sid


def test_markdown_has_the_title_roles_and_folded_tool_calls(store, project):
    sid = rich_session(store, project)
    md = export_markdown(store, sid)
    assert md.startswith("# Why does the build fail?\n")
    assert f"- Session: `{sid}`" in md
    assert "- Models: anthropic/claude-sonnet-4-5, openai/gpt-5" in md
    assert "- Cost: $0.0123 (some usage had no known price)" in md
    assert "## User\n\nWhy does the build fail?" in md
    assert "## Assistant · anthropic/claude-sonnet-4-5" in md
    assert "## Tool results" in md
    assert "<summary>Tool call: Bash — make 2&gt;&amp;1 | tail</summary>" in md
    assert '```json\n{\n  "command": "make 2>&1 | tail",\n  "timeout": 60\n}\n```' in md
    # a result that holds ``` gets a longer fence, so the block cannot end early
    assert (
        "<summary>Result (error) of `toolu_1`</summary>\n\n"
        "````text\nerror: ```weird``` output\n[1 image(s)]\n````" in md
    )
    assert "<summary>Thinking</summary>" in md
    assert md.count("<details>") == md.count("</details>") == 3


def test_jsonl_round_trips_exactly_into_another_database(store, project, tmp_path):
    sid = rich_session(store, project)
    exported = export_jsonl(store, sid)
    lines = [json.loads(line) for line in exported.splitlines()]
    assert lines[0]["type"] == "claw_session" and lines[0]["id"] == sid
    assert [r["type"] for r in lines[1:]] == ["message"] * 4 + ["event"] + ["usage"] * 2
    path = tmp_path / "s.jsonl"
    path.write_text(exported)
    with SessionStore.open(tmp_path / "b.db") as other:
        new_id = import_jsonl(other, path)
        assert new_id == sid
        assert other.messages(sid) == store.messages(sid)
        assert other.get(sid) == store.get(sid)
        assert other.events(sid) == store.events(sid)
        assert export_jsonl(other, sid) == exported
        assert other.cost_today() == pytest.approx(0.0123)


def test_importing_into_the_same_database_makes_a_new_session(store, project, tmp_path):
    sid = rich_session(store, project)
    path = tmp_path / "s.jsonl"
    path.write_text(export_jsonl(store, sid))
    copy = import_jsonl(store, path)
    assert copy != sid
    assert store.messages(copy) == store.messages(sid)
    other_project = tmp_path / "elsewhere"
    other_project.mkdir()
    moved = import_jsonl(store, path, other_project)
    assert store.get(moved).project == str(other_project.resolve())


def cc_record(cwd: str, kind: str, **fields) -> str:
    """One line as Claude Code writes it: the envelope fields, then the record's own."""
    base = {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": "2b7c6c1e-4f55-4c1e-9d7e-0a3c2f4b5e6d",
        "version": "2.1.3",
        "gitBranch": "main",
        "type": kind,
        "uuid": f"u-{len(fields)}-{time.time_ns()}",
        "timestamp": "2026-03-01T10:00:00.000Z",
    }
    base.update(fields)
    return json.dumps(base)


def test_a_claude_code_transcript_becomes_a_session_in_its_project(store, project, tmp_path):
    def cc_line(kind: str, **fields) -> str:
        return cc_record(str(project), kind, **fields)

    model = "claude-sonnet-4-5-20250929"
    usage = {
        "input_tokens": 10,
        "output_tokens": 40,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    lines = [
        json.dumps({"type": "summary", "summary": "Old summary title", "leafUuid": "x"}),
        cc_line(
            "user",
            message={"role": "user", "content": "Add a --verbose flag"},
            timestamp="2026-03-01T10:00:00Z",
        ),
        cc_line(
            "user",
            isMeta=True,
            message={"role": "user", "content": "<local-command-caveat>ignored</local-command-caveat>"},
        ),
        cc_line(
            "assistant",
            message={
                "id": "msg_A",
                "role": "assistant",
                "model": model,
                "usage": usage,
                "content": [{"type": "thinking", "thinking": "Plan it.", "signature": "s1"}],
            },
        ),
        cc_line(
            "assistant",
            message={
                "id": "msg_A",
                "role": "assistant",
                "model": model,
                "usage": usage,
                "content": [{"type": "text", "text": "I'll read the CLI."}],
            },
        ),
        cc_line(
            "assistant",
            message={
                "id": "msg_A",
                "role": "assistant",
                "model": model,
                "usage": usage,
                "content": [
                    {"type": "tool_use", "id": "toolu_R", "name": "Read", "input": {"file_path": "cli.py"}},
                    {"type": "tool_use", "id": "toolu_G", "name": "Grep", "input": {"pattern": "argparse"}},
                ],
            },
        ),
        cc_line(
            "user",
            message={
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_R", "content": "import argparse\n"}
                ],
            },
        ),
        cc_line(
            "user",
            message={
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_G",
                        "is_error": True,
                        "content": [{"type": "text", "text": "no matches"}],
                    }
                ],
            },
        ),
        cc_line(
            "assistant",
            isSidechain=True,
            message={
                "id": "msg_side",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": "subagent chatter"}],
            },
        ),
        json.dumps({"type": "file-history-snapshot", "messageId": "x", "snapshot": {}}),
        cc_line(
            "assistant",
            message={
                "id": "msg_B",
                "role": "assistant",
                "model": model,
                "usage": {"input_tokens": 5, "output_tokens": 6},
                "content": [{"type": "text", "text": "Done: added --verbose."}],
            },
            timestamp="2026-03-01T10:05:00Z",
        ),
        json.dumps({"type": "ai-title", "aiTitle": "Add verbose flag", "sessionId": "2b7c"}),
        json.dumps({"type": "custom-title", "customTitle": "Verbose flag", "sessionId": "2b7c"}),
        '{"type": "assistant", "message": {"role": "assis',  # cut by a crash
    ]
    path = tmp_path / "2b7c6c1e-4f55-4c1e-9d7e-0a3c2f4b5e6d.jsonl"
    path.write_text("\n".join(lines) + "\n")

    sid = import_jsonl(store, path)
    info = store.get(sid)
    assert info.project == str(project.resolve())
    assert info.title == "Verbose flag"
    assert info.models == ["anthropic/claude-sonnet-4-5-20250929"]
    # usage counted once per API message, not once per line
    assert (info.input_tokens, info.output_tokens, info.cache_read_tokens, info.cache_write_tokens) == (
        15,
        46,
        1000,
        200,
    )
    msgs = store.messages(sid)
    assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[0].text == "Add a --verbose flag"
    assert [type(b).__name__ for b in msgs[1].content] == [
        "ThinkingBlock",
        "TextBlock",
        "ToolUseBlock",
        "ToolUseBlock",
    ]
    assert msgs[1].content[0].signature == "s1"
    assert [u.input for u in msgs[1].tool_uses] == [{"file_path": "cli.py"}, {"pattern": "argparse"}]
    assert [(r.tool_use_id, r.text, r.is_error) for r in msgs[2].tool_results] == [
        ("toolu_R", "import argparse\n", False),
        ("toolu_G", "no matches", True),
    ]
    assert (
        msgs[3].text == "Done: added --verbose." and msgs[3].model == "anthropic/claude-sonnet-4-5-20250929"
    )
    assert msgs[3].created_at - msgs[0].created_at == 300
    assert "subagent chatter" not in json.dumps([m.model_dump() for m in msgs])
    assert store.events(sid, {"imported"})[0]["source_session_id"] == "2b7c6c1e-4f55-4c1e-9d7e-0a3c2f4b5e6d"
    assert store.search("verbose")[0].session_id == sid


def test_bad_files_are_clear_errors(store, tmp_path):
    cases = {
        "missing.jsonl": None,
        "empty.jsonl": "",
        "garbage.jsonl": "not json\n{also not\n",
        "other.jsonl": '{"hello": "world"}\n',
        "newer.jsonl": '{"type": "claw_session", "version": 99, "project": "/x"}\n',
        "badmsg.jsonl": (
            '{"type": "claw_session", "version": 1, "project": "/x"}\n'
            '{"type": "message", "message": {"role": "robot"}}\n'
        ),
    }
    expected = {
        "missing.jsonl": "Cannot read",
        "empty.jsonl": "no JSON lines",
        "garbage.jsonl": "no JSON lines",
        "other.jsonl": "neither a claw export nor a Claude Code transcript",
        "newer.jsonl": "newer claw",
        "badmsg.jsonl": "record 2 is not valid",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(StoreError, match=expected[name]) as err:
            import_jsonl(store, path)
        assert "\n" not in str(err.value)
    assert store.list() == []


def test_tool_result_helper_round_trips_through_markdown(store, project):
    sid = store.create_session(project, "m")
    store.append_message(sid, Message(role="user", content=[tool_result("t9", "plain output")]))
    assert "```text\nplain output\n```" in export_markdown(store, sid)
