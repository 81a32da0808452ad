"""The slash-command registry: built-ins, user commands from Markdown files, parsing."""

from __future__ import annotations

from claw_tui.config import user_config_dir
from claw_tui.ui.commands import (
    BUILTIN_COMMANDS,
    CommandRegistry,
    expand_template,
    parse_invocation,
)

REQUIRED = ["help", "clear", "compact", "cost", "model", "resume", "sessions", "init", "memory", "permissions", "mcp", "agents", "tasks", "diff", "undo", "rewind", "theme", "export", "status", "config", "exit"]
EXTRA = ["trust", "schedule", "context"]  # beyond the list


def test_every_required_command_is_registered_once():
    names = [c.name for c in BUILTIN_COMMANDS]
    assert sorted(names) == sorted(REQUIRED + EXTRA)


def test_user_commands_load_from_project_and_user_folders(tmp_path):
    (tmp_path / ".claw" / "commands").mkdir(parents=True)
    (tmp_path / ".claude" / "commands").mkdir(parents=True)
    (tmp_path / ".claw" / "commands" / "review.md").write_text(
        "---\ndescription: Review a file\nargument-hint: <path>\n---\nReview $ARGUMENTS carefully.\n"
    )
    (tmp_path / ".claude" / "commands" / "fix-tests.md").write_text("# Fix the failing tests\nRun pytest and fix.\n")
    (tmp_path / ".claude" / "commands" / "help.md").write_text("shadowing a built-in\n")
    (user_config_dir() / "commands").mkdir(parents=True)
    (user_config_dir() / "commands" / "review.md").write_text("the user's own review, overridden by the project\n")

    registry = CommandRegistry.build(tmp_path)
    review = registry.get("/review")
    assert review is not None
    assert review.help.startswith("Review a file")
    assert review.argument_hint == "<path>"
    assert review.source.endswith(".claw/commands/review.md")
    fix = registry.get("fix-tests")
    assert fix is not None and fix.help.startswith("Fix the failing tests")
    assert registry.get("help").source == "built-in"
    assert any("help.md" in p and "built-in" in p for p in registry.problems)


def test_templates_substitute_arguments():
    assert expand_template("Review $ARGUMENTS now", "a.py") == "Review a.py now"
    assert expand_template("Fix the tests.", "only unit") == "Fix the tests.\n\nonly unit"
    assert expand_template("Fix the tests.", "") == "Fix the tests."


def test_parse_invocation():
    assert parse_invocation("/model openai/gpt-5 ") == ("model", "openai/gpt-5")
    assert parse_invocation("/help") == ("help", "")
