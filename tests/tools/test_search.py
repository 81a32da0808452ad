from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from claw_tui.tools import search
from claw_tui.tools.base import ToolContext, ToolError, ToolKind
from claw_tui.tools.search import Glob, Grep, find_rg, run_rg


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(cwd=tmp_path, roots=[tmp_path])


def touch(path: Path, text: str = "", age: int = 0) -> Path:
    """A file whose mtime is `age` hours in the past (so newest-first order is known)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    when = 1_700_000_000 - age * 3600
    os.utime(path, (when, when))
    return path


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    touch(tmp_path / ".gitignore", "build/\n*.log\n")
    touch(tmp_path / "src" / "old.py", "def old():\n    return 'TODO later'\n", age=30)
    touch(tmp_path / "src" / "new.py", "def new():\n    # todo: now\n    return 1\n", age=1)
    touch(tmp_path / "src" / "mid.py", "value = 2\n", age=10)
    touch(tmp_path / "README.md", "# Project\nTODO write docs\n", age=20)
    touch(tmp_path / ".hidden.py", "secret = 'TODO'\n", age=5)
    touch(tmp_path / "build" / "gen.py", "TODO generated\n")
    touch(tmp_path / "debug.log", "TODO in a log\n")
    return tmp_path


async def glob(ctx, **args):
    tool = Glob()
    return (await tool.run(tool.Input(**args), ctx)).output


async def grep(ctx, **args):
    tool = Grep()
    return (await tool.run(tool.Input(**args), ctx)).output


def test_find_rg_finds_a_working_binary():
    out = subprocess.run([find_rg(), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("ripgrep")


# --- Glob ---------------------------------------------------------------------------------


async def test_glob_newest_first_and_gitignore(ctx, repo):
    out = await glob(ctx, pattern="**/*.py")
    assert out.splitlines() == ["src/new.py", ".hidden.py", "src/mid.py", "src/old.py"]
    assert (repo / ".git" / "HEAD").exists()
    assert ".git/" not in await glob(ctx, pattern="**/*")
    assert "build/gen.py" not in await glob(ctx, pattern="**/*")
    assert await glob(ctx, pattern="*.log") == "No files found"  # named, but still ignored
    # Naming an ignored directory explicitly looks inside it (node_modules/pkg/**/*.d.ts…), as rg does.
    assert await glob(ctx, pattern="build/*.py") == "build/gen.py"


async def test_glob_pattern_semantics(ctx, repo):
    assert (await glob(ctx, pattern="*.md")).splitlines() == ["README.md"]
    assert (await glob(ctx, pattern="*.py")).splitlines() == [".hidden.py"]  # top level only
    assert (await glob(ctx, pattern="src/*.py")).splitlines() == ["src/new.py", "src/mid.py", "src/old.py"]
    assert (await glob(ctx, pattern="src/{new,old}.py")).splitlines() == ["src/new.py", "src/old.py"]
    assert (await glob(ctx, pattern=str(repo / "src" / "m*.py"))).splitlines() == ["src/mid.py"]
    assert (await glob(ctx, pattern="*.py", path="src")).splitlines() == ["src/new.py", "src/mid.py", "src/old.py"]
    assert (await glob(ctx, pattern="**/*.py", path="null")).splitlines()[:2] == ["src/new.py", ".hidden.py"]
    assert await glob(ctx, pattern="**/*.rs") == "No files found"


async def test_glob_outside_cwd_shows_absolute_paths(ctx, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    touch(other / "x.txt")
    assert await glob(ctx, pattern="*.txt", path=str(other)) == str(other.resolve() / "x.txt")


async def test_glob_caps_at_100(ctx, tmp_path):
    for i in range(120):
        touch(tmp_path / f"f{i:03d}.txt", age=i)
    lines = (await glob(ctx, pattern="*.txt")).splitlines()
    assert lines[:2] == ["f000.txt", "f001.txt"]
    assert len(lines) == 101 and "results truncated" in lines[-1]


async def test_glob_bad_directory(ctx, tmp_path):
    touch(tmp_path / "file.txt")
    with pytest.raises(ToolError, match="does not exist"):
        await glob(ctx, pattern="*", path="missing")
    with pytest.raises(ToolError, match="is not a directory"):
        await glob(ctx, pattern="*", path="file.txt")


def test_glob_regex_translation():
    cases = {
        ("*.py", "a.py"): True,
        ("*.py", "src/a.py"): False,
        ("**/*.py", "a.py"): True,
        ("**/*.py", "x/y/a.py"): True,
        ("src/**/test_*.py", "src/test_a.py"): True,
        ("{a,b}.py", "b.py"): True,
        ("{*.md,src/{a,b}.py}", "src/b.py"): True,
        ("[!a]*.py", "a.py"): False,
        ("file?.txt", "file1.txt"): True,
        ("a+b.txt", "a+b.txt"): True,
    }
    for (pattern, path), expected in cases.items():
        assert bool(search.glob_regex(pattern).fullmatch(path)) is expected, (pattern, path)


def test_glob_targets(ctx, tmp_path):
    tool = Glob()
    assert tool.kind is ToolKind.READ and tool.concurrent_safe
    assert tool.rule_target(tool.Input(pattern="src/**/*.py"), ctx) == str(tmp_path.resolve() / "src")
    assert tool.touched_paths(tool.Input(pattern="/etc/*.conf"), ctx) == [Path("/etc").resolve()]
    assert tool.summary(tool.Input(pattern="**/*.ts")) == "Glob **/*.ts"


# --- Grep ---------------------------------------------------------------------------------


async def test_grep_files_with_matches_newest_first_and_gitignore(ctx, repo):
    out = await grep(ctx, pattern="TODO")
    assert out.splitlines() == ["Found 3 files", ".hidden.py", "README.md", "src/old.py"]
    insensitive = await grep(ctx, pattern="TODO", **{"-i": True})
    assert insensitive.splitlines() == ["Found 4 files", "src/new.py", ".hidden.py", "README.md", "src/old.py"]


async def test_grep_content_with_line_numbers_and_context(ctx, repo):
    assert await grep(ctx, pattern="return 1", output_mode="content") == "src/new.py:3:    return 1"
    assert await grep(ctx, pattern="return 1", output_mode="content", **{"-n": False}) == "src/new.py:    return 1"
    before = await grep(ctx, pattern="return 1", path="src/new.py", output_mode="content", **{"-B": 2})
    assert before.splitlines() == ["1-def new():", "2-    # todo: now", "3:    return 1"]
    after = await grep(ctx, pattern="def old", path="src", output_mode="content", **{"-A": 1})
    assert after.splitlines() == ["src/old.py:1:def old():", "src/old.py-2-    return 'TODO later'"]
    both = await grep(ctx, pattern="todo: now", path="src/new.py", output_mode="content", **{"-C": 1})
    assert both.splitlines() == ["1-def new():", "2:    # todo: now", "3-    return 1"]


async def test_grep_count_mode(ctx, repo):
    out = await grep(ctx, pattern="return", output_mode="count")
    lines = out.splitlines()
    assert sorted(lines[:2]) == ["src/new.py:1", "src/old.py:1"]
    assert lines[-1] == "Found 2 matching lines across 2 files."


async def test_grep_multiline(ctx, repo):
    assert await grep(ctx, pattern=r"def new\(\):.*return 1") == "No matches found"
    out = await grep(ctx, pattern=r"def new\(\):.*return 1", multiline=True)
    assert out.splitlines() == ["Found 1 file", "src/new.py"]


async def test_grep_type_and_glob_filters(ctx, repo):
    assert (await grep(ctx, pattern="TODO", type="md")).splitlines() == ["Found 1 file", "README.md"]
    assert (await grep(ctx, pattern="TODO", glob="src/**")).splitlines() == ["Found 1 file", "src/old.py"]
    assert (await grep(ctx, pattern="TODO", glob="*.md *.py")).splitlines()[0] == "Found 3 files"
    with pytest.raises(ToolError, match="unrecognized file type"):
        await grep(ctx, pattern="x", type="no-such-type")


async def test_grep_head_limit_and_offset(ctx, tmp_path):
    touch(tmp_path / "many.txt", "".join(f"hit {i}\n" for i in range(1, 11)))
    out = await grep(ctx, pattern="hit", output_mode="content", head_limit=3)
    assert out.splitlines()[:3] == ["many.txt:1:hit 1", "many.txt:2:hit 2", "many.txt:3:hit 3"]
    assert "showing lines 1–3 of 10; continue with offset=3" in out
    page = await grep(ctx, pattern="hit", output_mode="content", head_limit=2, offset=8)
    assert page.splitlines()[:2] == ["many.txt:9:hit 9", "many.txt:10:hit 10"]
    assert "showing lines 9–10 of 10]" in page


async def test_grep_bad_regex_and_missing_path(ctx, repo):
    with pytest.raises(ToolError, match=r"(?s)The search failed:.*regex.*escape literal"):
        await grep(ctx, pattern="foo(")
    with pytest.raises(ToolError, match="Path does not exist"):
        await grep(ctx, pattern="x", path="nowhere")
    assert await grep(ctx, pattern="zzz_not_here") == "No matches found"


async def test_grep_lookaround_falls_back_to_pcre2(ctx, repo):
    out = await grep(ctx, pattern=r"TODO(?= later)", output_mode="content")
    assert out == "src/old.py:2:    return 'TODO later'"


async def test_grep_outside_cwd_shows_absolute_paths(ctx, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    touch(other / "a.txt", "needle\n")
    out = await grep(ctx, pattern="needle", path=str(other))
    assert out.splitlines() == ["Found 1 file", str(other.resolve() / "a.txt")]


async def test_grep_cuts_huge_output(ctx, tmp_path):
    touch(tmp_path / "big.txt", "".join(f"match line {i} {'x' * 80}\n" for i in range(2000)))
    out = await grep(ctx, pattern="match", output_mode="content")
    assert len(out) < search.MAX_RESULT_CHARS + 300
    assert "output cut" in out and "head_limit" in out


def test_grep_schema_uses_claude_code_names(ctx, tmp_path):
    tool = Grep()
    props = tool.schema()["properties"]
    assert {
        "-A",
        "-B",
        "-C",
        "-n",
        "-i",
        "pattern",
        "path",
        "glob",
        "output_mode",
        "type",
        "head_limit",
        "offset",
        "multiline",
    } == set(props)
    assert props["output_mode"]["enum"] == ["content", "files_with_matches", "count"]
    by_alias = tool.Input.model_validate({"pattern": "x", "-A": 2, "-i": True})
    by_name = tool.Input(pattern="x", after_context=2, case_insensitive=True)
    assert by_alias == by_name
    assert tool.rule_target(by_alias, ctx) == str(tmp_path.resolve())
    assert tool.touched_paths(tool.Input(pattern="x", path="sub/.."), ctx) == [tmp_path.resolve()]


async def test_run_rg_timeout_is_a_clear_error(ctx, tmp_path):
    with pytest.raises(ToolError, match="took longer than"):
        await run_rg(["--files"], tmp_path, ctx, timeout=0)
