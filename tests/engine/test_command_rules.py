"""The per-program table and the command-line analysis behind the Bash rules (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.config import RuleSource
from claw_tui.engine import bash_effects, bash_parse, command_rules
from claw_tui.engine.permissions import PermissionEngine
from claw_tui.tools.base import ToolContext
from claw_tui.tools.git import Git
from claw_tui.tools.protected import is_protected
from claw_tui.tools.shell import Bash


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    return root.resolve()


def decide(project, command, mode="default", **rules):
    sources = [RuleSource(b, r, "user settings") for b in ("allow", "ask", "deny") for r in rules.get(b, [])]
    engine = PermissionEngine(mode, sources, [project])  # type: ignore[arg-type]
    ctx = ToolContext(cwd=project, roots=[project])
    return engine.decide(Bash(), Bash.Input(command=command), ctx, sandboxed=False)


@pytest.mark.parametrize(
    ("script", "found"),
    [
        ("1e id", ("exec", "id")), ("e", ("exec", "")), ("$e touch x", ("exec", "touch x")),
        ("s/a/b/e", ("exec", "")), ("s/a/b/gw out", ("write", "out")), ("s|a|b|w out", ("write", "out")),
        ("w out", ("write", "out")), ("/x/W out", ("write", "out")), ("1,3{p;w out\n}", ("write", "out")),
        ("s/e/w/", None), ("s/a/b/g", None), ("$!N;P;D", None), ("/x/{s/a/b/g;p}", None), ("y/ew/we/", None),
        ("1~2d", None), ("0,/x/s//y/", None), ("r notes.txt", None), ("a\\\nwhat e means", None),
        ("1i\\\nwe\\\nwrite", None),
        ("s/a/b/q", ("unknown", "")), ("k", ("unknown", "")), ("s/unterminated", ("unknown", "")),
    ],
)
def test_sed_scripts_are_read_for_what_runs_or_writes(script, found):
    assert command_rules.sed_script_escapes(script) == found


@pytest.mark.parametrize(
    ("program", "risky"),
    [
        ('{print $1}', False), ("$1 > 3 {print}", False), ('{if ($2 >= 10) print "big"}', False),
        ('BEGIN{system("id")}', True), ('{print > "out"}', True), ('{print >> "out"}', True), ('{print | "sh"}', True),
        ('BEGIN{"date" | getline d}', True), ('BEGIN{while (("ls" | getline x) > 0) print x}', True),
        ('@load "filefuncs"', True), ('{print "a|b >c"}', False), ("{printf \"%s\\n\", $1 > \"/dev/stderr\"}", True),
    ],
)
def test_awk_programs_are_read_for_what_runs_or_writes(program, risky):
    assert (command_rules.awk_program_escapes(program) is not None) == risky


@pytest.mark.parametrize(
    ("command", "inner", "privileged"),
    [
        ("timeout 60 npm test", ["npm", "test"], False), ("timeout -s KILL -k 5 60 npm test", ["npm", "test"], False),
        ("nice -n 5 make", ["make"], False), ("nice -5 make", ["make"], False), ("env -u HOME -C src ls", ["ls"], False),
        ("xargs -n1 -P4 grep x", ["grep", "x"], False), ("sudo -u root -g wheel rm x", ["rm", "x"], True),
        ("doas rm x", ["rm", "x"], True), ("stdbuf -oL tail -f log", ["tail", "-f", "log"], False),
        ("bash -c 'ls; rm x'", ["ls"], False), ("su -c 'rm x' root", ["rm", "x"], True),
        ("flock /tmp/l -c 'rm x'", ["rm", "x"], False), ("exec -a name rm x", ["rm", "x"], False),
    ],
)
def test_wrappers_are_unwrapped(command, inner, privileged):
    [cmd] = bash_parse.parse(command).commands
    unwrapped = command_rules.unwrap(cmd)
    assert unwrapped is not None
    assert unwrapped.commands[0].words == inner and unwrapped.privileged is privileged


@pytest.mark.parametrize("command", ["env", "command -v rm", "bash script.sh", "xargs", "nice"])
def test_a_wrapper_running_nothing_is_its_own_program(command):
    [cmd] = bash_parse.parse(command).commands
    assert command_rules.unwrap(cmd) is None


@pytest.mark.parametrize(
    ("command", "rules", "behavior"),
    [
        ("timeout 60 npm test", ["Bash(npm test:*)"], "allow"),
        ("nice -n 5 npm test -- -k x", ["Bash(npm test:*)"], "allow"),
        ("bash -c 'npm test && npm run lint'", ["Bash(npm test:*)", "Bash(npm run lint:*)"], "allow"),
        ("timeout 60 npm publish", ["Bash(npm test:*)", "Bash(timeout:*)"], "ask"),
        ("sudo npm test", ["Bash(npm test:*)"], "ask"),  # another user: the inner rule does not cover it
        ("env LD_PRELOAD=/tmp/x.so npm test", ["Bash(npm test:*)", "Bash(env:*)"], "ask"),
        ("timeout 60 npm test", ["Bash(timeout 60 npm test:*)"], "allow"),
        ("xargs rm", ["Bash(xargs:*)"], "ask"),
        ("bash -c \"$CMD\"", ["Bash(bash:*)"], "ask"),
    ],
)
def test_allow_rules_judge_the_command_a_wrapper_runs(project, command, rules, behavior):
    assert decide(project, command, allow=rules).behavior == behavior


def test_writes_are_resolved_where_the_command_runs(project):
    commands = bash_parse.parse("cd src && echo x > a.txt; git -C ../other log --output=out.txt").commands
    effects = bash_effects.analyse(commands, project)
    assert set(effects.writes) == {project / "a.txt", project / "src" / "a.txt", project / "other" / "out.txt",
                                   project.parent / "other" / "out.txt"}
    assert bash_effects.analyse(bash_parse.parse("cd $X && echo x > a.txt").commands, project).unknown_write


@pytest.mark.parametrize(
    "path",
    [".git/config", ".git/hooks/pre-commit", ".GIT/hooks/x", ".Claude/settings.json", ".CLAW/config.toml",
     "sub/.claude/settings.json", "vendor/lib/.git/config", ".mcp.json", ".MCP.JSON", "deep/er/.mcp.json"],
)
def test_protected_paths_inside_the_workspace_in_any_case(project, path):
    assert is_protected(project / path, [project])


def test_the_users_own_configuration_and_shell_start_up_are_protected(project, isolated_home):
    home = Path(isolated_home).resolve()
    for rel in (".bashrc", ".zshrc", ".profile", ".gitconfig", ".config/git/config", ".claude/settings.json",
                ".claude.json", "config/config.toml"):
        assert is_protected(home / rel, [project]), rel
    assert not is_protected(home / "notes.txt", [project]) and not is_protected(project / "src" / "a.py", [project])


def test_read_deny_rules_see_the_paths_a_command_names(project):
    (project / "secrets").mkdir()
    (project / "secrets" / "key").write_text("k")
    for command in ("cat secrets/key", "cat secr*/key", "grep x < secrets/key", "sh -c 'cat secrets/key'",
                    "tar -cf - secrets"):
        d = decide(project, command, mode="bypassPermissions", deny=["Read(./secrets/**)"])
        assert (d.behavior, d.reason) == ("deny", "deny rule Read(./secrets/**) from user settings"), command
    assert decide(project, "cat README", mode="bypassPermissions", deny=["Read(./secrets/**)"]).behavior == "allow"


def test_read_denied_paths_are_found_for_the_sandbox(project):
    for rel in ("secrets/a", "deep/down/.env", ".env", "x.pem", "src/y.pem"):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("s")
    sources = [RuleSource("deny", r, "user settings") for r in ("Read(./secrets/**)", "Read(.env)", "Read(*.pem)")]
    engine = PermissionEngine("default", sources, [project])
    assert sorted(p.relative_to(project).as_posix() for p in engine.read_denied_paths()) == [
        ".env", "deep/down/.env", "secrets", "src/y.pem", "x.pem"]


def test_the_git_tool_says_what_command_it_amounts_to():
    git = Git()
    assert git.shell_words(Git.Input(action="commit", message=" fix it ", all=True)) == ["git", "commit", "-a", "-m",
                                                                                          "fix it"]
    assert git.shell_words(Git.Input(action="diff", staged=True, ref="HEAD~1")) == ["git", "diff", "--cached",
                                                                                     "HEAD~1"]
    with pytest.raises(ValueError, match="ref must be a commit, branch or tag name"):
        Git.Input(action="log", ref="--output=x")
