"""Real public `.claude/` folders (tests/data/claude_folders, with their licences): what claw reads from each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from agent_harness import make_agent, run
from fake_model import Reply, Text, ToolCall

from claw_tui.config import FolderTrust, load_config
from claw_tui.engine.agent_defs import find_agent, scan_agents
from claw_tui.engine.compat import startup_notes
from claw_tui.engine.memory import scan_memory
from claw_tui.engine.skills import scan_skills
from claw_tui.engine.user_commands import load_user_commands

DATA = Path(__file__).parents[1] / "data" / "claude_folders"


def copied(name: str, dest: Path) -> Path:
    shutil.copytree(DATA / name, dest, symlinks=True)
    return dest


def sent_to_model(request) -> str:
    return json.dumps(request.json)


def test_pydantic_ai_skills_wrapped_nameless_and_symlinked(tmp_path):
    project = copied("pydantic-ai", tmp_path / "pydantic-ai")
    skills, problems = scan_skills(project)
    assert problems == []
    by_name = {s.name: s for s in skills}
    assert sorted(by_name) == [
        "address-feedback", "i-have-adhd", "pre-push-review", "pushing-commits-to-the-repo", "testing-skill"]
    assert by_name["address-feedback"].description == (
        "Find and address unresolved PR review comments for the current branch, then continue the canonical "
        "push, reply, reaction, and resolution workflow."
    )
    assert by_name["pre-push-review"].description.startswith("Run a high-judgment local review")  # named by folder
    assert by_name["pushing-commits-to-the-repo"].directory.is_symlink()
    assert [s.ignored for s in (by_name["pre-push-review"], by_name["testing-skill"])] == [("allowed-tools",)] * 2
    assert by_name["testing-skill"].files() == [Path("parse_cassette.py")]

    catalog = load_user_commands(project)
    assert catalog.problems == []
    prompt = catalog.expand("/pushing-commits-to-the-repo 1234")
    assert prompt is not None and prompt.source == "skill" and prompt.typed == "/pushing-commits-to-the-repo 1234"
    assert "# pushing-commits-to-the-repo" in prompt.prompt and prompt.prompt.endswith("ARGUMENTS: 1234")

    config = load_config(project, trusted=True)
    allowed = [(r.rule, r.source) for r in config.rules if r.behavior == "allow"]
    assert ("Bash(make:*)", "Claude Code project settings") in allowed and len(allowed) == 21
    assert startup_notes(project, config) == [
        "Front-matter claw does not honour: `allowed-tools` (skills) in /pre-push-review, /testing-skill."
    ]


def test_get_shit_done_as_the_users_own_commands_and_agents(tmp_path, isolated_home):
    gsd = DATA / "get-shit-done"
    shutil.copytree(gsd / "commands", isolated_home / ".claude" / "commands")
    shutil.copytree(gsd / "agents", isolated_home / ".claude" / "agents")
    project = tmp_path / "project"
    project.mkdir()
    catalog = load_user_commands(project)
    assert sorted(catalog.commands) == ["gsd:add-phase", "gsd:debug", "gsd:help", "gsd:quick"]
    debug = catalog.commands["gsd:debug"]
    assert (debug.scope, debug.where, debug.argument_hint) == ("user", "user:gsd", "[issue description]")
    assert debug.description == "Systematic debugging with persistent state across context resets"
    prompt = catalog.expand("/gsd:add-phase Add a login page")
    assert prompt is not None and "Arguments: Add a login page (phase description)" in prompt.prompt
    assert "ARGUMENTS:" not in prompt.prompt, "the body has $ARGUMENTS, so nothing is appended"
    agents, problems = scan_agents(project)
    synthesizer = find_agent(agents, "gsd-research-synthesizer")
    assert problems == [] and synthesizer.source == "user" and synthesizer.tools == ("Read", "Write", "Bash")


def test_claude_flow_nested_commands_env_and_foreign_settings(tmp_path):
    project = copied("claude-flow", tmp_path / "claude-flow")
    catalog = load_user_commands(project)
    assert sorted(catalog.commands) == ["coordination:spawn", "sparc:coder", "sparc:tdd"]
    assert catalog.commands["sparc:coder"].description == "🔥 SPARC Coder Mode"
    assert catalog.commands["coordination:spawn"].where == "project:coordination"

    untrusted = load_config(project, trusted=False)
    assert "env from .claude/settings.json" in untrusted.withheld and untrusted.settings.env == {}
    config = load_config(project, trusted=True)
    assert config.settings.env["CLAUDE_FLOW_AUTO_PUSH"] == "false" and len(config.settings.env) == 6
    assert config.settings.hooks == {}
    (ignored,) = config.ignored
    assert ignored == (
        "mcpServers, includeCoAuthoredBy, features, performance, hooks preEditHook, postEditHook, preCommandHook, "
        "postCommandHook, sessionEndHook (not in Claude Code's hook format) (.claude/settings.json)"
    )
    assert [r.rule for r in config.rules if r.behavior == "deny"] == [
        "Bash(rm -rf /)", "Bash(curl * | bash)", "Bash(wget * | sh)", "Bash(eval *)"]
    assert startup_notes(project, config)[0].startswith("Claude Code settings claw does not use: mcpServers, ")


async def test_claude_flow_settings_env_reaches_commands(tmp_path, fake_model):
    project = copied("claude-flow", tmp_path / "claude-flow")
    FolderTrust().trust(project)
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "echo push=$CLAUDE_FLOW_AUTO_PUSH hooks=$CLAUDE_FLOW_HOOKS_ENABLED"})]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(project, fake_model.base_url)
    await run(agent, "show the flags")
    assert "push=false hooks=true" in sent_to_model(fake_model.requests[1])


def test_voltagent_agents_in_category_subfolders(tmp_path):
    project = copied("voltagent-subagents", tmp_path / "voltagent")
    agents, problems = scan_agents(project)
    assert problems == []
    mine = [a for a in agents if a.source == "project (.claude/agents)"]
    assert sorted(a.name for a in mine) == ["azure-infra-engineer", "m365-admin", "windows-infra-admin"]
    m365 = find_agent(agents, "m365-admin")
    assert m365.tools == ("Read", "Write", "Edit", "Bash", "Glob", "Grep") and m365.model == "sonnet"
    assert m365.path is not None and m365.path.parent.name == "07-specialized-domains"


def test_ysnotksk_rules_apply_now_or_when_a_file_matches(tmp_path):
    project = copied("ysnotksk-claude-skills", tmp_path / "claude-skills")
    files, rules, problems = scan_memory(project, user_config_dir=tmp_path / "config")
    assert problems == []
    assert [(f.path.name, f.scope) for f in files] == [
        ("CLAUDE.md", "project"), ("010-security.md", "rule"), ("020-git.md", "rule")]
    assert files[1].text.startswith("# Security Rules")
    assert {r.path.name: r.globs for r in rules} == {
        "100-javascript.md": ("**/*.js", "**/*.jsx", "**/*.ts", "**/*.tsx"),
        "100-python.md": ("**/*.py",),
        "300-astro-vite.md": ("**/*.astro", "astro.config.*", "vite.config.*"),
    }


async def test_ysnotksk_path_rules_and_hooks_through_the_agent_loop(tmp_path, fake_model):
    project = copied("ysnotksk-claude-skills", tmp_path / "claude-skills")
    (project / "app").mkdir()
    (project / "app" / "main.py").write_text("print('hi')\n")
    (project / "app" / "util.py").write_text("X = 1\n")
    (project / "notes.txt").write_text("notes\n")
    FolderTrust().trust(project)
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "app/main.py"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "app/util.py"})]),
        Reply(parts=[ToolCall("Write", {"file_path": ".env", "content": "TOKEN=x\n"})]),
        Reply(parts=[Text("done")]),
    )
    agent = make_agent(project, fake_model.base_url)
    await run(agent, "look around")
    after_txt, after_main, after_util, after_env = (sent_to_model(r) for r in fake_model.requests[1:5])
    assert "Python Rules" not in after_txt
    assert after_main.count("Python Rules") == 1 and "100-python.md" in after_main
    assert after_util.count("Python Rules") == 1, "a rule is given once, with the first file it covers"
    assert "JavaScript" not in after_util
    assert "BLOCKED: Cannot edit .env files. Use .env.example instead." in after_env
    assert not (project / ".env").exists()
    system = fake_model.requests[0].json["system"][0]["text"]
    assert "# Security Rules" in system and "Python Rules" not in system
