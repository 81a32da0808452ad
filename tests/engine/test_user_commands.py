"""User commands and skills as /name: discovery, precedence, and Claude Code's substitutions."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_harness import make_agent, run
from fake_model import Reply, Text, ToolCall

from claw_tui.engine.command_arguments import fill_arguments
from claw_tui.engine.skills import list_skills, skills_prompt
from claw_tui.engine.user_commands import load_user_commands, parse_invocation


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_substitutions_follow_claude_code():
    body = "Move $0 to $1 ($ARGUMENTS[1]); all: $ARGUMENTS; named: $target; dir ${CLAUDE_SKILL_DIR} in ${CLAUDE_SESSION_ID}"
    text = fill_arguments(body, "'my file.py' src/ extra", names=("source", "target"), skill_dir=Path("/s"),
                          session_id="abc")
    assert text == ("Move my file.py to src/ (src/); all: 'my file.py' src/ extra; named: src/; dir /s in abc")
    assert fill_arguments("Fix it.", "now") == "Fix it.\n\nARGUMENTS: now"
    assert fill_arguments("Fix $2.", "") == "Fix ."


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("/review a.py", ("review", "a.py")), ("/frontend:component Button  ", ("frontend:component", "Button")),
     ("/usr/bin/env is broken", None), ("no slash", None), ("/deploy", ("deploy", ""))],
)
def test_parse_invocation(text, parsed):
    assert parse_invocation(text) == parsed


def test_precedence_namespaces_and_visibility(tmp_path, isolated_home):
    write(isolated_home / ".claude" / "commands" / "review.md", "user review\n")
    write(isolated_home / ".claude" / "commands" / "mine.md", "only the user's\n")
    write(tmp_path / ".claude" / "commands" / "review.md", "---\ndescription: project review\n---\nproject review\n")
    write(tmp_path / ".claude" / "commands" / "lint.md", "the command\n")
    write(tmp_path / ".claude" / "commands" / "a" / "b" / "deep.md", "deep\n")
    write(tmp_path / ".claude" / "skills" / "lint" / "SKILL.md", "---\ndescription: the skill\n---\nskill body\n")
    write(tmp_path / ".claude" / "skills" / "hidden" / "SKILL.md",
          "---\ndescription: model only\nuser-invocable: false\n---\nx\n")
    write(tmp_path / ".claude" / "skills" / "manual" / "SKILL.md",
          "---\nname: ship-it\ndescription: user only\ndisable-model-invocation: true\n---\nShip $ARGUMENTS.\n")
    catalog = load_user_commands(tmp_path)
    assert sorted(catalog.commands) == ["a:b:deep", "lint", "manual", "mine", "review", "ship-it"]
    assert catalog.commands["review"].description == "project review" and catalog.commands["mine"].scope == "user"
    assert catalog.commands["lint"].kind == "skill", "a skill wins over a command of the same name"
    assert catalog.commands["a:b:deep"].where == "project:a:b"
    assert catalog.expand("/manual v2").prompt.endswith("Ship v2.")
    listed = skills_prompt(list_skills(tmp_path))
    assert "hidden: model only" in listed and "ship-it" not in listed


async def test_a_skill_kept_from_the_model_is_refused_by_the_skill_tool(tmp_path, fake_model):
    write(tmp_path / ".claude" / "skills" / "deploy" / "SKILL.md",
          "---\ndescription: Deploy\ndisable-model-invocation: true\n---\nDEPLOY-STEPS\n")
    fake_model.script(Reply(parts=[ToolCall("Skill", {"skill": "deploy"})]), Reply(parts=[Text("ok")]))
    agent = make_agent(tmp_path, fake_model.base_url)
    await run(agent, "deploy")
    sent = str(fake_model.requests[1].json["messages"][-1])
    assert "is for the user to run (/deploy)" in sent and "DEPLOY-STEPS" not in sent


async def test_a_subdirectory_claude_md_joins_when_the_model_works_there(tmp_path, fake_model):
    write(tmp_path / "CLAUDE.md", "Root rules.\n")
    write(tmp_path / "web" / "CLAUDE.md", "Web: use pnpm, never npm.\n")
    write(tmp_path / "web" / "src" / "app.ts", "export {}\n")
    write(tmp_path / "api" / "main.py", "pass\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "api/main.py"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "web/src/app.ts"})]),
        Reply(parts=[ToolCall("Glob", {"pattern": "*.ts", "path": "web/src"})]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    await run(agent, "look")
    system = fake_model.requests[0].json["system"][0]["text"]
    assert "Root rules." in system and "use pnpm" not in system
    after_api, after_web, after_glob = (str(r.json["messages"][-1]) for r in fake_model.requests[1:4])
    assert "use pnpm" not in after_api
    assert "Web: use pnpm, never npm." in after_web and "web/CLAUDE.md" in after_web
    assert "use pnpm" not in after_glob, "each file once"
