from __future__ import annotations

import subprocess

import pytest
from pydantic import ValidationError

from claw_tui.tools.base import ToolContext, ToolError, ToolKind
from claw_tui.tools.git import Git


def sh(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path):
    sh(tmp_path, "init", "-q", "-b", "main")
    sh(tmp_path, "config", "user.name", "Claw Test")
    sh(tmp_path, "config", "user.email", "claw@example.com")
    sh(tmp_path, "config", "commit.gpgsign", "false")
    (tmp_path / "app.py").write_text("print('one')\n")
    sh(tmp_path, "add", "app.py")
    sh(tmp_path, "commit", "-q", "-m", "First commit")
    return tmp_path


async def git(cwd, **args):
    tool = Git()
    return await tool.run(
        tool.Input.model_validate(args), ToolContext(cwd=cwd, roots=[cwd])
    )


async def test_status_diff_and_staged_diff(repo):
    assert "Nothing to commit" in (await git(repo, action="status")).output
    (repo / "app.py").write_text("print('two')\n")
    (repo / "new.txt").write_text("hello\n")
    status = (await git(repo, action="status")).output
    assert "## main" in status and " M app.py" in status and "?? new.txt" in status
    diff = (await git(repo, action="diff")).output
    assert "-print('one')" in diff and "+print('two')" in diff
    assert (await git(repo, action="diff", staged=True)).output == "No staged changes."
    sh(repo, "add", "app.py")
    assert "+print('two')" in (await git(repo, action="diff", staged=True)).output
    assert (await git(repo, action="diff")).output == "No unstaged changes."


async def test_commit_files_then_log_and_show(repo):
    (repo / "app.py").write_text("print('two')\n")
    (repo / "notes.md").write_text("# notes\n")
    result = await git(repo, action="commit", message="Add notes", files=["notes.md"])
    assert "Add notes" in result.output and "1 file changed" in result.output
    assert sh(repo, "status", "--short") == " M app.py\n"
    await git(repo, action="commit", message="Say two", all=True)
    log = (await git(repo, action="log", max_count=2)).output.splitlines()
    assert [line.split(": ", 1)[1] for line in log] == ["Say two", "Add notes"]
    assert "Claw Test" in log[0]
    show = (await git(repo, action="show", ref="HEAD~1")).output
    assert "Add notes" in show and "+# notes" in show
    only = (await git(repo, action="log", path="notes.md")).output
    assert "Add notes" in only and "Say two" not in only


async def test_nothing_to_commit_is_clear(repo):
    with pytest.raises(
        ToolError, match="Nothing to commit: no staged changes. Pass files"
    ):
        await git(repo, action="commit", message="empty")


async def test_branch_list_and_create(repo):
    result = await git(repo, action="branch", name="feature", create=True)
    assert (
        result.output.startswith("Created branch feature at ")
        and "still on main" in result.output
    )
    assert sh(repo, "branch", "--show-current").strip() == "main"
    listing = (await git(repo, action="branch")).output
    assert "* main" in listing and "feature" in listing
    with pytest.raises(ToolError, match="already exists"):
        await git(repo, action="branch", name="feature", create=True)
    with pytest.raises(ToolError, match="does not switch branches"):
        await git(repo, action="branch", name="feature")


async def test_unknown_ref_and_not_a_repo(repo, tmp_path_factory):
    with pytest.raises(ToolError, match="Unknown ref 'nope'"):
        await git(repo, action="show", ref="nope")
    with pytest.raises(ToolError, match="Unknown ref 'nope'"):
        await git(repo, action="log", ref="nope")
    elsewhere = tmp_path_factory.mktemp("plain")
    with pytest.raises(ToolError, match="Not a git repository"):
        await git(elsewhere, action="status")


async def test_path_outside_repo_is_refused(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.py"
    outside.write_text("")
    with pytest.raises(ToolError, match="outside the repository"):
        await git(repo, action="commit", message="m", files=[str(outside)])


async def test_long_output_is_capped(repo):
    (repo / "big.txt").write_text("".join(f"line {i}\n" for i in range(10_000)))
    sh(repo, "add", "big.txt")
    text = (await git(repo, action="diff", staged=True)).output
    assert "output truncated" in text and len(text) < 31_000


def test_kind_is_per_call():
    tool = Git()
    assert tool.kind is ToolKind.WRITE
    parse = tool.Input.model_validate
    assert tool.kind_for(parse({"action": "status"})) is ToolKind.READ
    assert tool.kind_for(parse({"action": "branch"})) is ToolKind.READ
    assert (
        tool.kind_for(parse({"action": "branch", "name": "x", "create": True}))
        is ToolKind.WRITE
    )
    assert tool.kind_for(parse({"action": "commit", "message": "m"})) is ToolKind.WRITE
    assert (
        tool.summary(parse({"action": "commit", "message": "Fix it\n\nbody"}))
        == "Git commit: Fix it"
    )
    with pytest.raises(ValidationError):
        parse({"action": "commit"})
    with pytest.raises(ValidationError):
        parse({"action": "push"})
