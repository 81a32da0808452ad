from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from claw_tui.engine.memory import MAX_FILE_CHARS, imports, load_memory, memory_prompt


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root.resolve()


@pytest.fixture
def user_dir(tmp_path):
    d = tmp_path / "config"
    d.mkdir()
    return d


def names(files, base):
    return [(str(f.path.relative_to(base)) if f.path.is_relative_to(base) else str(f.path), f.scope) for f in files]


def test_order_from_user_files_to_git_root_down_to_cwd(repo, user_dir, isolated_home, tmp_path):
    (tmp_path / "CLAUDE.md").write_text("above the repo: not read")
    (user_dir / "CLAW.md").write_text("user claw")
    (Path(isolated_home) / ".claude").mkdir()
    (Path(isolated_home) / ".claude" / "CLAUDE.md").write_text("user claude")
    (repo / "AGENTS.md").write_text("root agents")
    (repo / "CLAUDE.md").write_text("root claude")
    (repo / ".claude").mkdir()
    (repo / ".claude" / "CLAUDE.md").write_text("root dot-claude")
    (repo / "CLAUDE.local.md").write_text("root local")
    sub = repo / "pkg" / "mod"
    sub.mkdir(parents=True)
    (repo / "pkg" / "CLAW.md").write_text("pkg claw")
    (sub / "AGENTS.md").write_text("mod agents")
    files = load_memory(sub, user_config_dir=user_dir)
    assert [f.text for f in files] == [
        "user claw", "user claude", "root claude", "root agents", "root dot-claude", "root local", "pkg claw",
        "mod agents",
    ]
    assert [f.scope for f in files] == ["user", "user", "project", "project", "project", "local", "project", "project"]


def test_without_git_it_walks_up_to_the_filesystem_root(tmp_path, user_dir):
    (tmp_path / "AGENTS.md").write_text("outer")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (inner / "CLAUDE.md").write_text("inner")
    texts = [f.text for f in load_memory(inner, user_config_dir=user_dir)]
    assert texts[-2:] == ["outer", "inner"]


def test_imports_relative_home_nested_and_cycles(repo, user_dir, isolated_home):
    (repo / "docs").mkdir()
    (repo / "CLAUDE.md").write_text("See @docs/style.md and @~/personal.md for more.\n")
    (repo / "docs" / "style.md").write_text("style rules, also @../CLAUDE.md and @./extra.md")
    (repo / "docs" / "extra.md").write_text("extra")
    (Path(isolated_home) / "personal.md").write_text("personal prefs")
    files = load_memory(repo, user_config_dir=user_dir)
    assert [f.text.split(",")[0].split("\n")[0] for f in files] == [
        "See @docs/style.md and @~/personal.md for more.", "style rules", "extra", "personal prefs"]
    assert [f.scope for f in files] == ["project", "import", "import", "import"]


def test_import_depth_is_limited_to_five(repo, user_dir):
    for i in range(8):
        (repo / f"level{i}.md").write_text(f"level {i} @level{i + 1}.md")
    (repo / "CLAUDE.md").write_text("@level0.md")
    texts = [f.text for f in load_memory(repo, user_config_dir=user_dir)]
    assert texts[0] == "@level0.md"
    assert [t.split(" @")[0] for t in texts[1:]] == ["level 0", "level 1", "level 2", "level 3", "level 4"]


def test_imports_are_ignored_in_code_spans_and_blocks():
    text = (
        "Use @real.md.\n"
        "Inline `@not-span.md` code.\n"
        "```\n@not-fenced.md\n```\n"
        "~~~~\n@not-tilde.md\n~~~~\n"
        "email me at someone@example.com\n"
        "- list item @also-real.md, then prose\n"
    )
    assert imports(text) == ["real.md", "also-real.md"]


def test_missing_imports_and_unreadable_bytes_do_not_fail(repo, user_dir):
    (repo / "CLAUDE.md").write_bytes(b"ping @alice about \xff\xfe bytes\n")
    files = load_memory(repo, user_config_dir=user_dir)
    assert len(files) == 1 and "\ufffd" in files[0].text


def test_big_files_are_cut_with_a_note(repo, user_dir):
    (repo / "AGENTS.md").write_text("x" * (MAX_FILE_CHARS + 500))
    text = load_memory(repo, user_config_dir=user_dir)[0].text
    assert text.startswith("x" * 100) and len(text) < MAX_FILE_CHARS + 200
    assert f"only the first {MAX_FILE_CHARS:,} are included" in text


def test_same_file_twice_is_read_once(repo, user_dir):
    (repo / "AGENTS.md").write_text("shared")
    (repo / "CLAUDE.md").symlink_to(repo / "AGENTS.md")
    (repo / "CLAW.md").write_text("@AGENTS.md @CLAUDE.md")
    assert [f.text for f in load_memory(repo, user_config_dir=user_dir)] == ["shared", "@AGENTS.md @CLAUDE.md"]


def test_memory_prompt(repo, user_dir):
    assert memory_prompt([]) == ""
    (repo / "AGENTS.md").write_text("Run pytest -q.\n")
    prompt = memory_prompt(load_memory(repo, user_config_dir=user_dir))
    assert prompt.startswith("# Memory")
    assert f"## {repo / 'AGENTS.md'} (project)\n\nRun pytest -q." in prompt
