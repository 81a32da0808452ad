"""Skills: discovery, the system prompt's short list, and loading one on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.engine.skills import (
    SkillError,
    find_skill,
    list_skills,
    render_skill,
    scan_skills,
    skills_prompt,
)

BODY = "SECRET-SKILL-BODY: run `scripts/check.sh $ARGUMENTS` and report.\n"


def _skill(root: Path, folder: str, text: str, files: dict[str, str] | None = None) -> Path:
    directory = root / folder
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "SKILL.md").write_text(text, encoding="utf-8")
    for rel, content in (files or {}).items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(content, encoding="utf-8")
    return directory


def test_skills_from_every_folder_later_ones_win(tmp_path, isolated_home):
    _skill(isolated_home / "config" / "skills", "lint", "---\nname: lint\ndescription: user lint\n---\nU\n")
    _skill(isolated_home / ".claude" / "skills", "fmt", "---\nname: fmt\ndescription: user fmt\n---\nF\n")
    _skill(tmp_path / ".claude" / "skills", "lint", "---\nname: lint\ndescription: claude lint\n---\nC\n")
    _skill(tmp_path / ".claw" / "skills", "release", "---\ndescription: Cut a release\n---\nR\n")
    skills = list_skills(tmp_path)
    assert [(s.name, s.description) for s in skills] == [
        ("fmt", "user fmt"),
        ("lint", "claude lint"),
        ("release", "Cut a release"),  # the folder name when the frontmatter has none
    ]
    assert find_skill(skills, "/LINT").source == "project (.claude/skills)"
    with pytest.raises(SkillError, match="Available skills: fmt, lint, release"):
        find_skill(skills, "deploy")


def test_broken_skill_is_reported(tmp_path):
    _skill(tmp_path / ".claw" / "skills", "bad", "---\nname: bad\n")
    _skill(tmp_path / ".claw" / "skills", "empty", "---\nname: empty\n---\n")
    skills, problems = scan_skills(tmp_path)
    assert skills == []
    assert any("no closing" in p for p in problems)
    assert any("no description" in p for p in problems)


def test_prompt_lists_names_and_descriptions_only(tmp_path):
    _skill(tmp_path / ".claw" / "skills", "check", f"---\nname: check\ndescription: Run the checks\n---\n{BODY}")
    text = skills_prompt(list_skills(tmp_path))
    assert "- check: Run the checks" in text
    assert "SECRET-SKILL-BODY" not in text
    assert skills_prompt([]) == ""


def test_render_fills_arguments_and_lists_files(tmp_path):
    directory = _skill(
        tmp_path / ".claw" / "skills",
        "check",
        f"---\nname: check\ndescription: Run the checks\n---\n{BODY}",
        {"scripts/check.sh": "echo ok\n", "reference.md": "ref\n", ".hidden": "x"},
    )
    skill = find_skill(list_skills(tmp_path), "check")
    text = render_skill(skill, "--fast")
    assert "run `scripts/check.sh --fast` and report" in text
    assert str(directory) in text
    assert "- reference.md" in text and "- scripts/check.sh" in text
    assert ".hidden" not in text and "- SKILL.md" not in text
    plain = _skill(tmp_path / ".claw" / "skills", "plain", "---\nname: plain\ndescription: p\n---\nDo it.\n")
    assert "ARGUMENTS: now" in render_skill(find_skill(list_skills(tmp_path), "plain"), "now")
    assert plain.is_dir()


async def test_skill_is_loaded_on_demand(tmp_path, fake_model):
    """The system prompt names the skill; its body reaches the model only through the Skill tool."""
    _skill(
        tmp_path / ".claw" / "skills",
        "check",
        f"---\nname: check\ndescription: Run the project's checks\n---\n{BODY}",
        {"scripts/check.sh": "echo ok\n"},
    )
    fake_model.script(
        Reply(parts=[ToolCall("Skill", {"skill": "check", "args": "--all"})]),
        Reply(parts=[Text("Loaded it.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, mode="default")
    events = await run(agent, "run the checks")
    first, second = (r.json for r in fake_model.requests)
    system = str(first["system"])
    assert "- check: Run the project's checks" in system
    assert "SECRET-SKILL-BODY" not in str(first)
    finished = of_type(events, ev.ToolCallFinished)
    assert [(f.name, f.status) for f in finished] == [("Skill", "done")]
    decided = of_type(events, ev.PermissionDecided)[0]
    assert decided.behavior == "allow"
    result = str(second["messages"][-1]["content"])
    assert "SECRET-SKILL-BODY: run `scripts/check.sh --all` and report." in result
    assert "scripts/check.sh" in result


async def test_unknown_skill_is_an_error_the_model_can_read(tmp_path, fake_model):
    fake_model.script(Reply(parts=[ToolCall("Skill", {"skill": "nope"})]), Reply(parts=[Text("ok")]))
    agent = make_agent(tmp_path, fake_model.base_url)
    events = await run(agent, "go")
    finished = of_type(events, ev.ToolCallFinished)[0]
    assert finished.is_error and "No skill named 'nope'" in finished.output
