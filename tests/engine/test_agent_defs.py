"""Custom agent types: files, frontmatter, precedence, and a custom agent held to its tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.engine.agent_defs import (
    AgentDef,
    AgentDefError,
    find_agent,
    list_agents,
    load_agent_file,
    save_agent,
    scan_agents,
)
from claw_tui.engine.frontmatter import parse_frontmatter


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_frontmatter_scalars_lists_and_blocks():
    meta, body = parse_frontmatter(
        "---\n"
        "name: reviewer\n"
        'description: "Reviews code: style and bugs"\n'
        "tools: [Read, Grep]\n"
        "extra:\n"
        "  - one\n"
        "  - 'two'\n"
        "long: >\n"
        "  folded over\n"
        "  two lines\n"
        "model: sonnet # a comment\n"
        "---\n"
        "Body text.\n"
    )
    assert meta == {
        "name": "reviewer",
        "description": "Reviews code: style and bugs",
        "tools": ["Read", "Grep"],
        "extra": ["one", "two"],
        "long": "folded over two lines\n",  # YAML's folded scalar keeps its final newline
        "model": "sonnet",
    }
    assert body == "Body text.\n"


def test_frontmatter_errors_are_clear():
    with pytest.raises(ValueError, match="no closing"):
        parse_frontmatter("---\nname: x\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_frontmatter("---\nthis is not yaml\n---\n")
    assert parse_frontmatter("no header\n") == ({}, "no header\n")


def test_agent_file_with_comma_tools_and_inherit_model(tmp_path):
    path = _write(
        tmp_path / ".claude" / "agents" / "reader.md",
        "---\nname: reader\ndescription: Reads files\ntools: Read, Glob\nmodel: inherit\n---\nYou only read.\n",
    )
    agent = load_agent_file(path, "project (.claude/agents)")
    assert agent.tools == ("Read", "Glob")
    assert agent.model is None
    assert agent.system_prompt == "You only read."
    assert agent.allows("Read") and not agent.allows("Bash")
    assert not agent.allows("Agent"), "no subagent spawns agents"


def test_bad_agent_files_are_reported_not_raised(tmp_path):
    _write(tmp_path / ".claw" / "agents" / "a.md", "---\ndescription: no name\n---\nbody\n")
    _write(tmp_path / ".claw" / "agents" / "b.md", "just text, no frontmatter\n")
    _write(tmp_path / ".claw" / "agents" / "c.md", "---\nname: bad name!\ndescription: d\n---\nbody\n")
    agents, problems = scan_agents(tmp_path)
    assert [a.name for a in agents] == ["general-purpose", "Explore"]
    assert len(problems) == 3
    assert any("'name' and 'description'" in p and "a.md" in p for p in problems)
    assert any("no frontmatter" in p for p in problems)
    assert any("may hold only" in p for p in problems)


def test_precedence_user_then_claude_then_claw(tmp_path, isolated_home):
    user_dir = isolated_home / "config"
    _write(user_dir / "agents" / "x.md", "---\nname: helper\ndescription: from user\n---\nU\n")
    _write(tmp_path / ".claude" / "agents" / "x.md", "---\nname: helper\ndescription: from claude\n---\nC\n")
    _write(tmp_path / ".claude" / "agents" / "y.md", "---\nname: only-claude\ndescription: c\n---\nC\n")
    agents = list_agents(tmp_path)
    assert find_agent(agents, "helper").description == "from claude"
    _write(tmp_path / ".claw" / "agents" / "x.md", "---\nname: helper\ndescription: from claw\n---\nW\n")
    agents = list_agents(tmp_path)
    helper = find_agent(agents, "helper")
    assert helper.description == "from claw" and helper.source == "project (.claw/agents)"
    assert find_agent(agents, "ONLY-CLAUDE").name == "only-claude"
    with pytest.raises(AgentDefError, match="Available agent types: general-purpose, Explore"):
        find_agent(agents, "nope")


def test_save_and_reload_round_trip(tmp_path):
    agent = AgentDef(
        name="tester",
        description="Runs tests: reports failures",
        system_prompt="Run the tests.",
        tools=("Bash", "Read"),
        model="haiku",
    )
    path = save_agent(agent, tmp_path / ".claw" / "agents")
    loaded = load_agent_file(path)
    assert (loaded.name, loaded.description, loaded.tools, loaded.model, loaded.system_prompt) == (
        "tester",
        "Runs tests: reports failures",
        ("Bash", "Read"),
        "haiku",
        "Run the tests.",
    )


async def test_custom_agent_is_restricted_to_its_tools(tmp_path, fake_model):
    """A custom agent with `tools: Read` is offered only Read; a Bash call is refused."""
    (tmp_path / "notes.txt").write_text("hello\n")
    _write(
        tmp_path / ".claw" / "agents" / "reader.md",
        "---\nname: reader\ndescription: Reads one file\ntools: Read\n---\nYou are READER-PROMPT.\n",
    )
    fake_model.script(
        Reply(parts=[ToolCall("Agent", {"description": "read notes", "prompt": "[reader] read notes.txt",
                                        "subagent_type": "reader"}, id="toolu_reader")]),
        Reply(parts=[ToolCall("Bash", {"command": "cat notes.txt"})], when="[reader]"),
        Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"})], when="[reader]"),
        Reply(parts=[Text("notes.txt says hello")], when="[reader]"),
        Reply(parts=[Text("The reader says hello.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "what do the notes say?")

    agent_tool = next(t for t in fake_model.requests[0].json["tools"] if t["name"] == "Agent")
    assert "- reader: Reads one file (Tools: Read)" in agent_tool["description"]
    assert "- Explore: " in agent_tool["description"]
    child_requests = [r.json for r in fake_model.requests if "[reader]" in str(r.json["messages"][0])]
    assert len(child_requests) == 3
    assert sorted(t["name"] for t in child_requests[0]["tools"]) == ["Read"]
    assert "READER-PROMPT" in str(child_requests[0]["system"])
    child_done = [e for e in of_type(events, ev.ToolCallFinished) if e.agent_id == "toolu_reader"]
    assert [(e.name, e.status) for e in child_done] == [("Bash", "failed"), ("Read", "done")]
    assert "Unknown tool 'Bash'. Available tools: Read" in child_done[0].output
    parent_done = [e for e in of_type(events, ev.ToolCallFinished) if e.agent_id is None]
    assert parent_done[0].name == "Agent" and parent_done[0].output.startswith("notes.txt says hello")
    assert agent.transcript[-1].text == "The reader says hello."
