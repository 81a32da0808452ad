"""MCP as a Claude Code user has it: which project servers run (`claw trust`, enableAllProjectMcpServers,
enabledMcpjsonServers, disabledMcpjsonServers), resources for the model, prompts and resources headless."""

from __future__ import annotations

import json
import sys

from engine.agent_harness import make_agent, of_type, run
from engine.test_headless import claw
from fake_model import Reply, Text, ToolCall
from mcp_helpers import SERVERS

from claw_tui.config import trust_folder
from claw_tui.core import events as ev
from claw_tui.engine.prompt_input import prepare_prompt

DEMO = {"command": sys.executable, "args": [str(SERVERS / "demo.py")]}


def write_json(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


# A server that cannot start: "failed" shows it got past the trust gate without the cost of a real one.
MISSING = {"command": "/nonexistent/mcp-server"}


def project_with_servers(tmp_path, demo=None):
    project = tmp_path / "repo"
    write_json(project / ".mcp.json", {"mcpServers": {"demo": demo or MISSING, "other": MISSING}})
    return project


async def statuses(project, fake_model) -> dict[str, str]:
    agent = make_agent(project, fake_model.base_url)
    manager = await agent.start_mcp()
    try:
        return {s.name: s.status for s in manager.statuses()}
    finally:
        await agent.aclose()


async def test_claw_trust_starts_the_projects_servers(tmp_path, fake_model):
    project = project_with_servers(tmp_path, demo=DEMO)
    assert await statuses(project, fake_model) == {"demo": "needs-trust", "other": "needs-trust"}
    assert trust_folder(project) == ["MCP servers demo, other from .mcp.json"]
    assert await statuses(project, fake_model) == {"demo": "connected", "other": "failed"}


async def test_the_users_settings_pick_project_servers_by_name(tmp_path, fake_model, isolated_home):
    project = project_with_servers(tmp_path)
    write_json(isolated_home / ".claude" / "settings.json", {"enabledMcpjsonServers": ["demo"]})
    assert await statuses(project, fake_model) == {"demo": "failed", "other": "needs-trust"}
    write_json(isolated_home / ".claude" / "settings.json", {"enableAllProjectMcpServers": True,
                                                             "disabledMcpjsonServers": ["other"]})
    assert await statuses(project, fake_model) == {"demo": "failed", "other": "disabled"}


async def test_a_repository_cannot_enable_its_own_servers_before_it_is_trusted(tmp_path, fake_model):
    project = project_with_servers(tmp_path)
    write_json(project / ".claude" / "settings.json", {"enableAllProjectMcpServers": True})
    agent = make_agent(project, fake_model.base_url)
    assert "mcp.enable_all_project_servers from .claude/settings.json" in agent.config.withheld
    await agent.aclose()
    assert await statuses(project, fake_model) == {"demo": "needs-trust", "other": "needs-trust"}
    write_json(project / ".claude" / "settings.json", {"enabledMcpjsonServers": ["other"]})
    trust_folder(project)
    assert await statuses(project, fake_model) == {"demo": "needs-trust", "other": "failed"}


async def test_the_model_lists_and_reads_resources_and_a_prompt_attaches_one(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("ListMcpResourcesTool", {})]),
        Reply(parts=[ToolCall("ReadMcpResourceTool", {"server": "demo", "uri": "demo://readme"})]),
        Reply(parts=[Text("The readme says hello.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    await agent.start_mcp([json.dumps({"mcpServers": {"demo": DEMO}})])
    try:
        events = await run(agent, "what resources are there?")
        # What `claw -p "… @demo:demo://readme"` does with its prompt (engine/prompt_input.py).
        prepared = await prepare_prompt(agent, "summarise @demo:demo://readme.")
    finally:
        await agent.aclose()
    offered = [t["name"] for t in fake_model.requests[0].json["tools"]]
    assert "ListMcpResourcesTool" in offered and "ReadMcpResourceTool" in offered
    listing = json.loads(fake_model.requests[1].json["messages"][-1]["content"][0]["content"][0]["text"])
    assert {(r["server"], r["uri"], r["name"]) for r in listing} == {
        ("demo", "demo://readme", "readme"), ("demo", "demo://logo", "logo")}
    assert "Hello from the demo server." in json.dumps(fake_model.requests[2].json["messages"][-1])
    assert all(f.status == "done" for f in of_type(events, ev.ToolCallFinished))
    assert prepared.notices == ["Attached @demo:demo://readme to the prompt."]
    assert "Hello from the demo server." in prepared.prompt.text


def test_headless_runs_mcp_prompts(tmp_path, fake_model):
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"demo": DEMO}}))
    fake_model.script(Reply(parts=[Text("Looks fine.")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "/demo:review print(1) language=python", "--mcp-config", str(config))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Looks fine.\n"
    sent = json.dumps(fake_model.requests[0].json["messages"])
    assert "Review this python code:\\nprint(1)" in sent and "I will look at it." in sent


def test_headless_expands_the_users_commands_and_names_what_it_ignores(tmp_path, fake_model):
    (tmp_path / ".claude" / "commands" / "git").mkdir(parents=True)
    (tmp_path / ".claude" / "commands" / "git" / "summary.md").write_text(
        "---\nallowed-tools: Bash(git log:*)\n---\nSummarise the last $0 commits of $ARGUMENTS[1].\n")
    fake_model.script(Reply(parts=[Text("Three commits.")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "/git:summary 3 main")
    assert out.returncode == 0, out.stderr
    assert "Summarise the last 3 commits of main." in json.dumps(fake_model.requests[0].json["messages"])
    assert "claw: Front-matter claw does not honour: `allowed-tools` (commands) in /git:summary." in out.stderr
    fake_model.script(Reply(parts=[Text("?")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "/demo:review x")  # no such command here: sent as typed, and said
    assert out.returncode == 0, out.stderr
    assert "claw: No command /demo:review here; the prompt went to the model as typed." in out.stderr
    assert "/demo:review x" in json.dumps(fake_model.requests[1].json["messages"])


def test_headless_says_in_words_which_servers_wait_for_trust(tmp_path, fake_model):
    project = project_with_servers(tmp_path)
    fake_model.script(Reply(parts=[Text("ok")]))
    out = claw(project, fake_model.base_url, "-p", "hi")
    assert out.returncode == 0, out.stderr
    assert "claw: MCP server demo needs your trust" in out.stderr and " is needs-trust" not in out.stderr
