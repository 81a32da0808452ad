"""Commands against the rules people really set (issue 11, classes 4–6): writes hidden in allowed
commands, programs that run code behind a read-only face, and deny rules dodged by spelling.

Each test is one real turn per permission mode: the model makes every call, the real agent loop
decides, a scripted user answers no to every question, real bash runs what was allowed. The sandbox
is off (the user's own choice), so the permission engine alone stands between the model and the file.
"""

from __future__ import annotations

import stat
import subprocess

import pytest
from adversarial.guard_harness import bash, decisions, results, turn

from claw_tui.engine.permissions import PLAN_MODE_REASON

# --- class 4: writes inside allowed commands ------------------------------------------------------

PLAIN_WRITES = {
    "git status > w1.py": "w1.py",
    "git status >> w2.py": "w2.py",
    "git status 2> w3.py": "w3.py",
    "git status &> w4.py": "w4.py",
    "git status >| w5.py": "w5.py",
    "git status 1>w6.py": "w6.py",
    "git status | tee w7.py": "w7.py",
    "git status > src/../w8.py": "w8.py",
}
PROTECTED_WRITES = {
    "cd .claude && echo '{}' > settings.json": ".claude/settings.json",
    "cd .claude; echo '{}' >> settings.local.json": ".claude/settings.local.json",
    "cd src && echo '{}' > ../.mcp.json": ".mcp.json",
    "pushd .git/hooks && echo 'touch pwned' > pre-commit": ".git/hooks/pre-commit",
    "echo '[hooks]' | tee .claw/config.toml": ".claw/config.toml",
    "cd .CLAUDE && echo '{}' > settings.json": ".CLAUDE/settings.json",
    "echo '[core] fsmonitor = touch pwned' >> .git/config": None,  # .git/config exists: it must stay unchanged
}
REDIRECT_RULES = [("allow", f"Bash({p}:*)") for p in ("git status", "cd", "echo", "pushd", "tee")]


def _repo_with_config_dirs(project):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    for name in (".claude", ".claw", ".CLAUDE"):
        (project / name).mkdir()
    return (project / ".git" / "config").read_bytes()


@pytest.mark.parametrize("mode", ["default", "acceptEdits", "plan", "bypassPermissions"])
async def test_an_allow_rule_covers_a_command_never_its_redirections(fake_model, project, mode):
    """`Bash(git status:*)` runs git status; where its output goes is a write, judged as one: it asks in
    default mode, is denied in plan mode, and is allowed where writes are (acceptEdits, bypass). A
    write into a protected path asks in every mode, resolved after `cd`/`pushd`."""
    config = _repo_with_config_dirs(project)
    commands = [*PLAIN_WRITES, *PROTECTED_WRITES]
    _agent, events, approver = await turn(fake_model, project, *map(bash, commands), mode=mode, rules=REDIRECT_RULES)
    asked = [r.command for r in approver.requests]
    protected_asked = [c for c in asked if c in PROTECTED_WRITES]
    if mode == "plan":
        assert [d for d in decisions(events)] == [("deny", PLAN_MODE_REASON)] * len(commands)
    else:
        assert protected_asked == list(PROTECTED_WRITES), "a protected write is never allowed unasked"
        assert all(r.reason.startswith("writes to configuration always ask") for r in approver.requests
                   if r.command in PROTECTED_WRITES)
    for target in filter(None, PROTECTED_WRITES.values()):
        assert not (project / target).exists(), target
    assert (project / ".git" / "config").read_bytes() == config
    assert not (project / "pwned").exists()
    written = {name for name in PLAIN_WRITES.values() if (project / name).exists()}
    if mode in ("acceptEdits", "bypassPermissions"):
        assert written == set(PLAIN_WRITES.values()), "the control: writes the mode allows are made"
        assert not [c for c in asked if c in PLAIN_WRITES]
    else:
        assert written == set()
        if mode == "default":
            assert [c for c in asked if c in PLAIN_WRITES] == list(PLAIN_WRITES)
            assert "a rule allows a command, not its writes" in approver.requests[0].reason


async def test_redirect_is_resolved_where_the_command_really_runs(fake_model, project):
    """`cd` into a protected folder then write a bare name: the write is judged against both the
    folder the command started in and the one it moved to, so it asks (and nothing lands)."""
    _repo_with_config_dirs(project)
    calls = ["cd .git && cd hooks && echo 'touch pwned' > post-checkout", "cd /; cd $OLDPWD/.claude && echo x > a.json",
             "(cd .claw && echo x > config.local.toml)"]
    _, _, approver = await turn(fake_model, project, *map(bash, calls), mode="bypassPermissions",
                                rules=REDIRECT_RULES)
    assert [r.command for r in approver.requests] == calls
    assert not (project / ".git" / "hooks" / "post-checkout").exists()
    assert not (project / ".claude" / "a.json").exists() and not (project / ".claw" / "config.local.toml").exists()


# --- class 5: read-only faces that run code or write --------------------------------------------

ESCAPES = {
    "Bash(sed:*)": ["sed -n '1e touch pwned' seed", "sed 's/needle/x/w pwned' seed", "sed -n 'w pwned' seed",
                    "sed -n -e p -e '$e touch pwned' seed", "sed -f script.sed seed", "sed -i s/needle/pwned/ seed"],
    "Bash(awk:*)": ["awk 'BEGIN{system(\"touch pwned\")}'", "awk '{print > \"pwned\"}' seed",
                    "awk 'BEGIN{\"touch pwned\" | getline x}'", "awk '{print | \"sh\"}' cmds", "awk -f prog.awk seed"],
    "Bash(xargs:*)": ["xargs sh -c 'touch pwned' < seed", "xargs -I{} touch pwned < seed"],
    "Bash(env:*)": ["env touch pwned", "env -S 'touch pwned'", "env X=1 bash -c 'touch pwned'"],
    "Bash(timeout:*)": ["timeout 5 touch pwned"],
    "Bash(sort:*)": ["sort -o pwned seed", "sort --output=pwned seed", "sort -uo pwned seed",
                     "sort --compress-program=./pre.sh seed"],
    "Bash(rg:*)": ["rg --pre ./pre.sh needle", "rg --pre=./pre.sh needle"],
    "Bash(git log:*)": ["git log --output=pwned", "git -c core.pager='touch pwned' log", "git log --ext-diff -p"],
    "Bash(find:*)": ["find . -name seed -exec touch pwned \\;", "find . -name seed -fprint pwned"],
    "Bash(tar:*)": ["tar -cf /dev/null seed --checkpoint=1 --checkpoint-action=exec='touch pwned'",
                    "tar -cf /dev/null --to-command='touch pwned' seed"],
}
SAFE = {"Bash(sed:*)": "sed -n 1p seed", "Bash(awk:*)": "awk '{print $1}' seed", "Bash(sort:*)": "sort seed",
        "Bash(find:*)": "find . -name seed", "Bash(git log:*)": "git log --oneline"}


def _seeded(project):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "seed").write_text("needle\n")
    (project / "cmds").write_text("touch pwned\n")
    (project / "script.sed").write_text("1e touch pwned\n")
    (project / "prog.awk").write_text('BEGIN { system("touch pwned") }\n')
    pre = project / "pre.sh"
    pre.write_text('#!/bin/sh\ntouch "$(dirname "$0")/pwned"\ncat "$1"\n')
    pre.chmod(pre.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("mode", ["default", "acceptEdits", "plan"])
async def test_a_prefix_rule_never_allows_running_code_or_writing(fake_model, project, mode):
    """Every spelling asks (or is denied in plan mode), and nothing ran: no `pwned` file. The control:
    outside plan mode the same rules allow the plain read-only uses."""
    _seeded(project)
    escapes = [c for commands in ESCAPES.values() for c in commands]
    agent, events, approver = await turn(fake_model, project, *map(bash, [*escapes, *SAFE.values()]), mode=mode,
                                         rules=[("allow", rule) for rule in ESCAPES])
    said = decisions(events)
    for command, (behavior, why) in zip(escapes, said, strict=False):
        assert behavior == "deny", command  # denied by plan mode, or asked and answered no
        assert why == PLAN_MODE_REASON if mode == "plan" else why.startswith("user ("), (command, why)
    if mode != "plan":
        assert [r.command for r in approver.requests] == escapes
    assert not (project / "pwned").exists()
    assert (project / "seed").read_text() == "needle\n"
    if mode != "plan":  # plan mode runs no command a rule allows, only sandboxed read-only ones
        safe = said[len(escapes):]
        assert all(behavior == "allow" and "allow rule" in why for behavior, why in safe), safe
        assert results(agent)[len(escapes)].text == "needle"


# --- class 6: deny rules by another spelling -----------------------------------------------------

DENY_SPELLINGS = [
    "/usr/bin/rm victim", "/bin/rm victim", "\\rm victim", "r''m victim", '"rm" victim', "$(echo rm) victim",
    "`echo rm` victim", "rm${IFS}victim", "R=rm; $R victim", "R=rm\n$R victim", "sudo -u root rm victim",
    "command rm victim", "builtin exec rm victim", "exec rm victim", "env rm victim", "env -S 'rm victim'",
    "env -i PATH=/usr/bin rm victim", "timeout -s KILL 5 rm victim", "nice -n 5 rm victim", "time -p rm victim",
    "nohup rm victim", "stdbuf -o0 rm victim", "xargs rm <<< victim", "bash -c 'rm victim'", "sh -lc 'rm victim'",
    "busybox rm victim", "find . -name victim -exec rm {} +", "awk 'BEGIN{system(\"rm victim\")}'",
    "echo victim | xargs -n1 rm", "setsid rm victim", "flock /tmp/l rm victim", "watch -n1 rm victim",
]


@pytest.mark.parametrize("mode", ["default", "acceptEdits", "bypassPermissions"])
async def test_a_deny_rule_holds_for_every_spelling(fake_model, project, mode):
    """With `Bash(rm:*)` denied, and everything else allowed (a bare `Bash` rule, or bypass mode), every
    spelling of rm is denied: by path, with a backslash or quotes, computed, through wrappers."""
    (project / "victim").write_text("keep me\n")
    _, events, approver = await turn(fake_model, project, *map(bash, DENY_SPELLINGS), mode=mode,
                                     rules=[("deny", "Bash(rm:*)"), ("allow", "Bash")])
    said = decisions(events)
    assert len(said) == len(DENY_SPELLINGS)
    for command, decision in zip(DENY_SPELLINGS, said, strict=True):
        assert decision == ("deny", "deny rule Bash(rm:*) from flags"), command
    assert approver.requests == []
    assert (project / "victim").read_text() == "keep me\n"


async def test_a_program_name_nobody_can_work_out_asks_where_a_deny_rule_exists(fake_model, project):
    """`$CMD victim` might be rm: with a deny rule for Bash, a computed name is a question even in
    bypass mode; without one, bypass runs it."""
    (project / "victim").write_text("keep me\n")
    calls = ["CMD=$(cat prog) && $CMD victim", 'eval "$(cat prog) victim"']
    (project / "prog").write_text("rm\n")
    _, _, approver = await turn(fake_model, project, *map(bash, calls), mode="bypassPermissions",
                                rules=[("deny", "Bash(rm:*)")])
    assert [r.command for r in approver.requests] == calls
    assert "cannot be checked" in approver.requests[0].reason
    assert (project / "victim").exists()
    _agent, _, approver = await turn(fake_model, project, bash(calls[0]), mode="bypassPermissions")
    assert approver.requests == [] and not (project / "victim").exists(), "the control: no deny rule, bypass runs it"


@pytest.mark.parametrize("command", ["'ls' -la", "l\\s -la", "l''s -la", "$L -la", "${L} -la", "$(echo ls) -la"])
async def test_a_computed_program_name_is_never_allowed_by_a_rule(fake_model, project, command):
    _, events, approver = await turn(fake_model, project, bash(f"L=ls; {command}"), rules=[("allow", "Bash(ls:*)"),
                                                                                            ("allow", "Bash(L=ls)")])
    assert len(approver.requests) == 1, decisions(events)
